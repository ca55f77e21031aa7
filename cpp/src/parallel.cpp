// parallel.cpp — the library's one thread pool.
//
// Design:
// - Workers (num_threads - 1 of them; the caller is the extra one) are created lazily by the
//   first parallel_for that needs them, and sleep on a condition variable between jobs.
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
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define MLBASICS_HAVE_PTHREAD_ATFORK 1
#endif

namespace mlbasics {
namespace {

using Body = std::function<void(std::ptrdiff_t, std::ptrdiff_t)>;

thread_local bool t_in_parallel = false;

int default_num_threads() {
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

std::atomic<int> g_num_threads{0};  // 0: not set yet, use default_num_threads()

class Pool {
 public:
  // Serializes jobs and resizing; parallel_for uses try_lock on it.
  std::mutex run_mutex;

  // Runs body over n_chunks chunks of [0, n) on the caller + (n_chunks - 1) workers.
  // Precondition: run_mutex held by the caller, n_chunks >= 2.
  void run(std::ptrdiff_t n, std::ptrdiff_t n_chunks, const Body& body, int want_threads) {
    resize(want_threads - 1);
    const int helpers = static_cast<int>(
        std::min<std::ptrdiff_t>(n_chunks - 1, static_cast<std::ptrdiff_t>(workers_.size())));
    {
      std::lock_guard<std::mutex> lk(m_);
      body_ = &body;
      n_ = n;
      n_chunks_ = n_chunks;
      next_chunk_.store(0, std::memory_order_relaxed);
      helpers_ = helpers;
      remaining_ = helpers;
      error_ = nullptr;
      ++generation_;
    }
    if (helpers > 0) cv_work_.notify_all();

    t_in_parallel = true;
    work();
    t_in_parallel = false;

    std::exception_ptr err;
    {
      std::unique_lock<std::mutex> lk(m_);
      cv_done_.wait(lk, [&] { return remaining_ == 0; });
      body_ = nullptr;
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
  std::mutex m_;
  std::condition_variable cv_work_, cv_done_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  const Body* body_ = nullptr;
  std::ptrdiff_t n_ = 0, n_chunks_ = 0;
  std::atomic<std::ptrdiff_t> next_chunk_{0};
  int helpers_ = 0;    // workers with index < helpers_ take part in the current job
  int remaining_ = 0;  // helpers that have not finished the current job yet
  std::exception_ptr error_;

  void resize(int n_workers) {
    if (n_workers < 0) n_workers = 0;
    if (static_cast<int>(workers_.size()) == n_workers) return;
    if (!workers_.empty()) {
      {
        std::lock_guard<std::mutex> lk(m_);
        stop_ = true;
      }
      cv_work_.notify_all();
      for (auto& t : workers_) t.join();
      workers_.clear();
    }
    std::uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = false;
      gen = generation_;
    }
    workers_.reserve(static_cast<std::size_t>(n_workers));
    for (int i = 0; i < n_workers; ++i) {
      workers_.emplace_back([this, i, gen] { worker_main(i, gen); });
    }
  }

  // Grab chunks until none are left. Runs on the caller and on participating workers.
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
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      cv_work_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= helpers_) continue;
      lk.unlock();
      work();
      lk.lock();
      if (--remaining_ == 0) cv_done_.notify_one();
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
