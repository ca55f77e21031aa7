// module.cpp — the extension module mlbasics._core: registers each kernel family's bindings.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "mlbasics/cpu.hpp"
#include "mlbasics/parallel.hpp"

namespace py = pybind11;

void register_gemm(py::module_& m);
void register_layers(py::module_& m);
void register_losses(py::module_& m);
void register_optim(py::module_& m);
void register_mlp(py::module_& m);
void register_distances(py::module_& m);
void register_sparse(py::module_& m);
void register_norms(py::module_& m);

#define MLBASICS_STR2(x) #x
#define MLBASICS_STR(x) MLBASICS_STR2(x)

// The bindings. Their entry point PyInit__core_bindings is only called by PyInit__core below;
// the module takes its name (mlbasics._core) from the import spec.
PYBIND11_MODULE(_core_bindings, m) {
  m.doc() = "mlbasics C++ kernels (binding glue; use mlbasics.kernels, which validates arguments)";
  register_gemm(m);
  register_layers(m);
  register_losses(m);
  register_optim(m);
  register_mlp(m);
  register_distances(m);
  register_sparse(m);
  register_norms(m);

  m.def("set_num_threads", [](std::int64_t n) {
    // the bound of mlbasics.backends.MAX_THREADS: the pool starts n - 1 workers
    if (n < 1 || n > 1024)
      throw py::value_error("n: expected a number of threads in [1, 1024], got " + std::to_string(n));
    mlbasics::set_num_threads(static_cast<int>(n));
  }, py::arg("n"));
  m.def("get_num_threads", &mlbasics::get_num_threads);
  m.def("cpu_path", &mlbasics::cpu_path,
        "SIMD path chosen for the micro-kernels: 'avx512', 'avx2' or 'generic' (MLBASICS_CPU forces one).");
  m.def("cpu_path_available", [](const std::string& name) { return mlbasics::cpu_path_available(name.c_str()); },
        py::arg("name"), "Whether MLBASICS_CPU=name would be accepted on this CPU/build.");
#if defined(__clang__)
  m.attr("compiler") = "clang " __clang_version__;
#elif defined(__GNUC__)
  m.attr("compiler") = "gcc " __VERSION__;
#elif defined(_MSC_VER)
  m.attr("compiler") = "MSVC " + std::to_string(_MSC_VER);
#else
  m.attr("compiler") = "unknown";
#endif
}

// A C symbol with the pool's thread count, for threadpoolctl: mlbasics registers a controller for
// this library (mlbasics/_threadpool.py) that recognizes it by this symbol, so that
// threadpool_info() lists our pool and threadpool_limits() (as joblib applies in its workers)
// governs it.
#if defined(_WIN32)
#define MLBASICS_C_EXPORT extern "C" __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define MLBASICS_C_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define MLBASICS_C_EXPORT extern "C"
#endif
MLBASICS_C_EXPORT int mlbasics_get_num_threads() { return mlbasics::get_num_threads(); }

// The extension's entry point. It resolves the SIMD path first: an invalid MLBASICS_CPU makes
// `import mlbasics._core` raise ValueError with the message of cpu_path()'s
// std::invalid_argument (pybind11 would report an exception thrown during module
// initialisation as ImportError), and no kernel can run on an unvalidated path.
PyMODINIT_FUNC PyInit__core() {
  try {
    mlbasics::cpu_path();
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
    return nullptr;
  }
  return PyInit__core_bindings();
}
