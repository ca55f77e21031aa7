// test_pool_waiting.hpp — tests of the pool's waiting policy (spin, then sleep) and of the dynamic
// participation of its workers. A header included by test_kernels.cpp (so that no CMakeLists
// needs a new source); pool_waiting_failures() prints each failed check and returns their number.
// It is also worth compiling alone with -fsanitize=thread (parallel.cpp + a main calling it) when
// the pool changes.
//
// Nothing here asserts a time: it checks coverage and results in the regimes the policy creates
// (jobs back to back while the workers poll, jobs after the workers fell asleep, a worker that
// is late to a job, exceptions on a worker, resizing, fork).
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mlbasics/parallel.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#define MLBASICS_TEST_HAVE_FORK 1
#endif

namespace pool_waiting_tests {

inline int& failures() {
  static int n = 0;
  return n;
}

#define POOL_CHECK_MSG(cond, ...)                                                         \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      ++pool_waiting_tests::failures();                                                   \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);       \
      std::fprintf(stderr, __VA_ARGS__);                                                  \
      std::fprintf(stderr, "\n");                                                         \
    }                                                                                     \
  } while (0)
#define POOL_CHECK(cond) POOL_CHECK_MSG(cond, "%s", "")

// One parallel_for over [0, n) in chunks of `grain`; true when every index was visited once.
inline bool covers(std::ptrdiff_t n, std::ptrdiff_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
  for (auto& h : hits) h.store(0, std::memory_order_relaxed);
  mlbasics::parallel_for(n, grain, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1, std::memory_order_relaxed);
  });
  for (auto& h : hits)
    if (h.load() != 1) return false;
  return true;
}

}  // namespace pool_waiting_tests

// Returns the number of failed checks (each printed to stderr).
inline int pool_waiting_failures() {
  using pool_waiting_tests::covers;
  pool_waiting_tests::failures() = 0;
  for (int nt : {2, 3, 4}) {
    mlbasics::set_num_threads(nt);
    // Back to back: the workers are still polling when the next job arrives.
    int bad = 0;
    for (int rep = 0; rep < 3000; ++rep)
      if (!covers(64 + rep % 7, 1)) ++bad;
    POOL_CHECK_MSG(bad == 0, "back-to-back jobs, %d threads: %d bad", nt, bad);
    // With pauses longer than any spin: every job starts with the workers asleep.
    bad = 0;
    for (int rep = 0; rep < 20; ++rep) {
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      if (!covers(1000, 10)) ++bad;
    }
    POOL_CHECK_MSG(bad == 0, "jobs after sleeps, %d threads: %d bad", nt, bad);
    // Pauses around the spin time: some jobs find the workers polling, some asleep, some in between.
    bad = 0;
    for (int rep = 0; rep < 200; ++rep) {
      std::this_thread::sleep_for(std::chrono::microseconds(20 * (rep % 10)));
      if (!covers(97, 1)) ++bad;
    }
    POOL_CHECK_MSG(bad == 0, "jobs around the spin time, %d threads: %d bad", nt, bad);
  }

  // Chunks of very different lengths: whoever is free takes the next chunk; every chunk runs once.
  mlbasics::set_num_threads(2);
  {
    std::atomic<long> sum{0};
    mlbasics::parallel_for(16, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (std::ptrdiff_t i = b; i < e; ++i) {
        if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        sum.fetch_add(static_cast<long>(i) + 1);
      }
    });
    POOL_CHECK(sum.load() == 16 * 17 / 2);
  }

  // An exception on whichever thread runs the last chunk (a worker when it joined in time) reaches
  // the caller, and the next job runs normally, for many jobs in a row.
  {
    int caught = 0;
    for (int rep = 0; rep < 500; ++rep) {
      try {
        mlbasics::parallel_for(2, 1, [&](std::ptrdiff_t b, std::ptrdiff_t) {
          if (b == 1) throw std::runtime_error("late chunk");
        });
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "late chunk") ++caught;
      }
    }
    POOL_CHECK_MSG(caught == 500, "exceptions from chunk 1: %d of 500 caught", caught);
    POOL_CHECK(covers(1000, 1));
  }

  // Four user threads hammering the pool with tiny jobs while a fifth resizes it: callers that
  // find it busy run alone; a job is never run twice or half.
  {
    std::atomic<int> bad{0};
    std::atomic<bool> stop{false};
    std::thread resizer([&] {
      for (int i = 0; !stop.load(); ++i) {
        mlbasics::set_num_threads(1 + i % 4);
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
    std::vector<std::thread> users;
    for (int u = 0; u < 4; ++u) {
      users.emplace_back([&, u] {
        for (int rep = 0; rep < 1500; ++rep) {
          if (!covers(33 + u, 1)) bad.fetch_add(1);
          if (rep % 100 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
      });
    }
    for (auto& t : users) t.join();
    stop.store(true);
    resizer.join();
    POOL_CHECK_MSG(bad.load() == 0, "concurrent callers while resizing: %d bad jobs", bad.load());
  }
  mlbasics::set_num_threads(2);

#if defined(MLBASICS_TEST_HAVE_FORK)
  // fork right after a job (the workers are polling) and after they fell asleep: the child's
  // pool is a fresh one that works; the parent's keeps working.
  for (int asleep = 0; asleep < 2; ++asleep) {
    POOL_CHECK(covers(5000, 16));
    if (asleep) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const pid_t pid = fork();
    if (pid == 0) {
      bool ok = true;
      for (int rep = 0; rep < 200 && ok; ++rep) ok = covers(100 + rep, 1);
      _exit(ok ? 0 : 3);
    }
    POOL_CHECK(pid > 0);
    if (pid > 0) {
      int status = 0;
      // Bounded wait: 60 s, then kill (a hang fails the test instead of stalling ctest).
      bool done = false;
      for (int i = 0; i < 6000 && !done; ++i) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) done = true;
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
      }
      POOL_CHECK_MSG(done && WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork child (workers %s): status %d",
                asleep ? "asleep" : "polling", status);
    }
    POOL_CHECK(covers(5000, 16));
  }
#endif
  return pool_waiting_tests::failures();
}

#undef POOL_CHECK
#undef POOL_CHECK_MSG
