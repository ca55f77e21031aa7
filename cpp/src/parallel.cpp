// parallel.cpp — the library's one thread pool.
//
// Design:
// - Workers (num_threads - 1 of them; the caller is the extra one) are created lazily by the
//   first parallel_for that needs them.
// - Waiting policy: spin, then sleep. After a job a worker polls the job word (with a pause
//   instruction) for up to kSpinMicros, then sleeps on a condition variable; a caller waiting
//   for helpers to finish does the same. Back-to-back products (a training loop, the gaps
//   between the layers of an epoch) then start without a futex wake-up, and an idle pool costs
//   nothing once the spin has run out. MLBASICS_POOL_SPIN_US (read once) overrides the spin
//   time; 0 means always sleep.
// - Dynamic participation: the job is cut into chunks that threads take from an atomic counter.
//   A worker joins a job only while it is open (it registers in active_, then checks the job
//   word); the caller closes the job as soon as no chunk is left and then waits only for the
//   workers that joined. A helper that is late (asleep, or descheduled on a busy machine) thus
//   never delays the caller: at worst the caller runs every chunk itself.
// - One job at a time. A parallel_for that finds the pool busy (try_lock fails: another user
//   thread is running a job) runs its whole range on its own thread instead of waiting. This
//   never deadlocks, never oversubscribes the cores, and keeps concurrent callers correct.
// - A thread_local flag marks threads that are inside a parallel region (workers always, the
//   caller while its job runs); a parallel_for from such a thread runs serially (no nesting).
// - set_num_threads only records the number; the pool is resized (workers stopped and
//   restarted) by the next parallel_for, under the pool lock, so it is safe to call anywhere.
// - After fork() the child gets a fresh, empty pool (the parent's workers do not exist there).
// - The pool object is intentionally never destroyed: workers blocked on its condition
//   variable at process exit are harmless, while joining them from a static destructor is not.
#include "mlbasics/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>  // _mm_pause (SSE2, part of every x86-64)
#define MLBASICS_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define MLBASICS_CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define MLBASICS_CPU_RELAX() std::this_thread::yield()
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define MLBASICS_HAVE_PTHREAD_ATFORK 1
#endif

namespace mlbasics {
namespace {

using Body = std::function<void(std::ptrdiff_t, std::ptrdiff_t)>;
using Clock = std::chrono::steady_clock;

// How long a worker polls for the next job, and a caller for its helpers, before sleeping.
// Measured (Zen 5 VM, 2 threads, 64×784 @ 784×256 f32, 1-thread time 121 µs, a busy gap of
// G µs in Python between products; medians, busy machine): S = 100 gave 68-74 µs for G <= 50
// and 87-106 µs for G >= 100 (the worker asleep again: a futex wake-up each way); S = 0 gave
// 96-136 µs at every G; S = 200 no better than 100 at G <= 50. The gaps inside a training step
// (bias + activation, loss, optimizer, Python between calls) are a few to a few tens of µs, so
// 100 µs covers them, and an idle pool stops costing CPU 0.1 ms after its last job.
constexpr long kSpinMicros = 100;

long spin_micros() {
  static const long us = [] {
    const char* s = std::getenv("MLBASICS_POOL_SPIN_US");
    if (s == nullptr || *s == '\0') return kSpinMicros;
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 0) return kSpinMicros;  // ignore a malformed value
    return std::min<long>(v, 1000000);
  }();
  return us;
}

// Polls ready() with a pause between tries for at most `micros`; true as soon as it holds.
// Every 32 pauses it also reads the clock and yields the core: when another runnable thread
// shares the core (the machine is busy, or the thread this one waits for was preempted), the
// poll must not keep it off the core for a whole time slice.
template <class Ready>
bool spin_until(Ready ready, long micros) {
  if (ready()) return true;
  if (micros <= 0) return false;
  const auto deadline = Clock::now() + std::chrono::microseconds(micros);
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      MLBASICS_CPU_RELAX();
      if (ready()) return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
}

thread_local bool t_in_parallel = false;

int default_num_threads() {
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

std::atomic<int> g_num_threads{0};  // 0: not set yet, use default_num_threads()

// The job word: generation << kGenShift | helpers << 1 | open. A new job bumps the generation;
// `helpers` workers (index < helpers) may join it while `open` is set.
constexpr int kGenShift = 16;
constexpr std::uint64_t kHelpersMask = (std::uint64_t{1} << (kGenShift - 1)) - 1;

class Pool {
 public:
  // Serializes jobs and resizing; parallel_for uses try_lock on it.
  std::mutex run_mutex;

  // Runs body over n_chunks chunks of [0, n) on the caller + the workers that join in time.
  // Precondition: run_mutex held by the caller, n_chunks >= 2.
  void run(std::ptrdiff_t n, std::ptrdiff_t n_chunks, const Body& body, int want_threads) {
    resize(want_threads - 1);
    const std::uint64_t helpers = static_cast<std::uint64_t>(std::min<std::ptrdiff_t>(
        {n_chunks - 1, static_cast<std::ptrdiff_t>(workers_.size()), static_cast<std::ptrdiff_t>(kHelpersMask)}));
    // No worker reads these fields now: the previous job is closed and active_ reached 0, and a
    // worker reads them only after finding this job's word open.
    body_ = &body;
    n_ = n;
    n_chunks_ = n_chunks;
    next_chunk_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    const std::uint64_t gen = (word_.load(std::memory_order_relaxed) >> kGenShift) + 1;
    word_.store(gen << kGenShift | helpers << 1 | 1);  // seq_cst: pairs with sleepers_ below
    if (helpers > 0 && sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lk(m_); }  // a worker between its check and its wait
      cv_work_.notify_all();
    }

    t_in_parallel = true;
    work();
    t_in_parallel = false;

    // Every chunk is taken: close the job, then wait for the workers that joined it.
    word_.store(gen << kGenShift | helpers << 1);
    const auto none_active = [this] { return active_.load() == 0; };
    if (!spin_until(none_active, spin_micros())) {
      std::unique_lock<std::mutex> lk(m_);
      caller_waiting_.store(true);
      cv_done_.wait(lk, none_active);
      caller_waiting_.store(false);
    }
    body_ = nullptr;
    std::exception_ptr err;
    {
      std::lock_guard<std::mutex> lk(m_);
      err = error_;
      error_ = nullptr;
    }
    if (err) std::rethrow_exception(err);
  }

  // Called in the child after fork(): forget the parent's threads (they do not exist here).
  void abandon_workers_after_fork() {
    for (auto& t : workers_) {
      // The std::thread objects refer to threads of the parent; leak them (cannot join/detach).
      new std::thread(std::move(t));
    }
    workers_.clear();
  }

 private:
  std::mutex m_;  // guards the sleeping (with the two condition variables) and error_
  std::condition_variable cv_work_, cv_done_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> word_{0};  // see kGenShift
  std::atomic<int> active_{0};          // workers that may be touching the current job
  std::atomic<int> sleepers_{0};        // workers waiting on cv_work_ (or about to)
  std::atomic<bool> caller_waiting_{false};
  const Body* body_ = nullptr;
  std::ptrdiff_t n_ = 0, n_chunks_ = 0;
  std::atomic<std::ptrdiff_t> next_chunk_{0};
  std::exception_ptr error_;

  void resize(int n_workers) {
    if (n_workers < 0) n_workers = 0;
    if (static_cast<int>(workers_.size()) == n_workers) return;
    if (!workers_.empty()) {
      stop_.store(true);
      {
        std::lock_guard<std::mutex> lk(m_);
      }
      cv_work_.notify_all();
      for (auto& t : workers_) t.join();
      workers_.clear();
      stop_.store(false);
    }
    const std::uint64_t gen = word_.load() >> kGenShift;
    workers_.reserve(static_cast<std::size_t>(n_workers));
    for (int i = 0; i < n_workers; ++i) {
      workers_.emplace_back([this, i, gen] { worker_main(i, gen); });
    }
  }

  // Grab chunks until none are left. Runs on the caller and on the workers that joined.
  void work() {
    const Body& body = *body_;
    const std::ptrdiff_t n = n_, nc = n_chunks_;
    for (;;) {
      const std::ptrdiff_t c = next_chunk_.fetch_add(1, std::memory_order_relaxed);
      if (c >= nc) break;
      // Chunk boundaries c*n/nc, computed without overflow for any realistic n.
      const std::ptrdiff_t b = static_cast<std::ptrdiff_t>(
          (static_cast<long double>(c) * n) / nc);
      const std::ptrdiff_t e = (c + 1 == nc) ? n
          : static_cast<std::ptrdiff_t>((static_cast<long double>(c + 1) * n) / nc);
      if (b >= e) continue;
      try {
        body(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_main(int index, std::uint64_t seen) {
    t_in_parallel = true;
    const long spin = spin_micros();
    for (;;) {
      const auto changed = [&] { return stop_.load() || (word_.load() >> kGenShift) != seen; };
      if (!spin_until(changed, spin)) {
        std::unique_lock<std::mutex> lk(m_);
        sleepers_.fetch_add(1);  // seq_cst, then `changed` reads the word: pairs with run()
        cv_work_.wait(lk, changed);
        sleepers_.fetch_sub(1);
      }
      if (stop_.load()) return;
      const std::uint64_t w = word_.load();
      seen = w >> kGenShift;
      if (!(w & 1) || static_cast<std::uint64_t>(index) >= ((w >> 1) & kHelpersMask)) continue;
      // Join: register first, then check the job is still this one and open. If the caller has
      // closed it meanwhile (it then may be waiting for active_ == 0, or gone), leave untouched.
      active_.fetch_add(1);
      if (word_.load() == w) work();
      if (active_.fetch_sub(1) == 1 && caller_waiting_.load()) {
        std::lock_guard<std::mutex> lk(m_);
        cv_done_.notify_one();
      }
    }
  }
};

Pool* g_pool = nullptr;
std::once_flag g_pool_once;

#if defined(MLBASICS_HAVE_PTHREAD_ATFORK)
void atfork_prepare() {
  if (g_pool) g_pool->run_mutex.lock();
}
void atfork_parent() {
  if (g_pool) g_pool->run_mutex.unlock();
}
void atfork_child() {
  if (g_pool) {
    // The old pool's internal mutex may have been held by a (now non-existent) worker; leak
    // the whole object and start afresh.
    g_pool->abandon_workers_after_fork();
    g_pool = new Pool();
  }
}
#endif

Pool& pool() {
  std::call_once(g_pool_once, [] {
    g_pool = new Pool();  // never destroyed, see the header comment
#if defined(MLBASICS_HAVE_PTHREAD_ATFORK)
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
#endif
  });
  return *g_pool;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1, got " + std::to_string(n));
  g_num_threads.store(n, std::memory_order_relaxed);
}

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : default_num_threads();
}

void parallel_for(std::ptrdiff_t n, std::ptrdiff_t grain,
                  const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& body) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int nt = get_num_threads();
  if (nt <= 1 || t_in_parallel || n < 2 * grain) {
    body(0, n);
    return;
  }
  const std::ptrdiff_t n_chunks = std::min<std::ptrdiff_t>(nt, n / grain);
  Pool& p = pool();
  std::unique_lock<std::mutex> lk(p.run_mutex, std::try_to_lock);
  if (!lk.owns_lock()) {  // another thread is using the pool: run here, alone
    t_in_parallel = true;
    try {
      body(0, n);
    } catch (...) {
      t_in_parallel = false;
      throw;
    }
    t_in_parallel = false;
    return;
  }
  p.run(n, n_chunks, body, nt);
}

}  // namespace mlbasics
