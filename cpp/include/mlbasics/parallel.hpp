// mlbasics/parallel.hpp — the library's one thread pool.
#pragma once
#include <cstddef>
#include <functional>

namespace mlbasics {

// Number of threads the kernels may use (>= 1). Default: std::thread::hardware_concurrency().
void set_num_threads(int n);   // n < 1 throws std::invalid_argument
int get_num_threads();

// Calls body(begin, end) over disjoint chunks covering [0, n). Runs on the calling thread alone
// when n is small (n < 2*grain), when only one thread is set, or when called from inside another
// parallel_for (no nesting). Between jobs the workers poll for the next one for a short time
// (~100 µs; MLBASICS_POOL_SPIN_US overrides it, 0 never polls), then sleep on a condition
// variable: an idle pool uses no CPU. Workers that are late to a job (asleep, descheduled) do
// not delay it: the chunks are shared out dynamically, and the caller takes what is left.
// An exception thrown by body is rethrown on the calling thread after all chunks finish.
void parallel_for(std::ptrdiff_t n, std::ptrdiff_t grain,
                  const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& body);

}  // namespace mlbasics
