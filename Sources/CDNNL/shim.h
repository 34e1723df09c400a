#include <dnnl.h>

// libgomp's entry point for a parallel region (the ABI GCC emits for `#pragma omp parallel`,
// stable since GCC 4.9). Debian's oneDNN runs its convolutions on libgomp's thread pool; Tween
// runs its own kernels on the same pool through this call, so one set of threads serves both.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned int flags);
int omp_get_max_threads(void);
