// CUDA implementation of the GPU micro-benchmarks (see gpu.h).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <vector>

#include "measure/gpu.h"

namespace tokcast::measure {
namespace {

__global__ void CopyKernel(const float4* __restrict__ in, float4* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = in[i];
  }
}

struct Events {
  cudaEvent_t a{}, b{};
  Events() {
    cudaEventCreate(&a);
    cudaEventCreate(&b);
  }
  ~Events() {
    cudaEventDestroy(a);
    cudaEventDestroy(b);
  }
  double Seconds() {
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    return ms / 1e3;
  }
};

bool Ok(cudaError_t e, std::string* why, const char* what) {
  if (e == cudaSuccess) return true;
  if (why) *why = std::string(what) + ": " + cudaGetErrorString(e);
  return false;
}

}  // namespace

namespace {
struct Case {
  const char* name;
  cudaDataType in, out;
  cublasComputeType_t compute;
  size_t elem, out_elem;
  int dim;
};

// Pinned host memory to and from the device, 256 MiB each way (into `dev`, `bytes` long).
void MeasureHostLink(int reps, void* dev, size_t bytes, Events& ev, GpuResult& r, std::string* why_not) {
  // Host link: pinned 256 MiB each way.
  const size_t hbytes = std::min<size_t>(size_t{256} << 20, bytes);
  void* host = nullptr;
  if (Ok(cudaMallocHost(&host, hbytes), why_not, "cudaMallocHost")) {
    std::vector<double> h2d, d2h;
    for (int i = 0; i <= reps; ++i) {
      cudaEventRecord(ev.a);
      cudaMemcpy(dev, host, hbytes, cudaMemcpyHostToDevice);
      cudaEventRecord(ev.b);
      const double s1 = ev.Seconds();
      cudaEventRecord(ev.a);
      cudaMemcpy(host, dev, hbytes, cudaMemcpyDeviceToHost);
      cudaEventRecord(ev.b);
      const double s2 = ev.Seconds();
      if (i > 0) {
        h2d.push_back(static_cast<double>(hbytes) / s1);
        d2h.push_back(static_cast<double>(hbytes) / s2);
      }
    }
    r.host_to_device = Summarize(h2d);
    r.device_to_host = Summarize(d2h);
    cudaFreeHost(host);
  }
}

// One cuBLAS GEMM shape at one precision; nothing recorded when it cannot run.
void MeasureGemm(int reps, cublasHandle_t h, const Case& c, Events& ev, GpuResult& r) {
  const size_t d = static_cast<size_t>(c.dim);
  void *A = nullptr, *B = nullptr, *C = nullptr;
  if (cudaMalloc(&A, d * d * c.elem) != cudaSuccess || cudaMalloc(&B, d * d * c.elem) != cudaSuccess ||
      cudaMalloc(&C, d * d * c.out_elem) != cudaSuccess) {
    cudaFree(A);
    cudaFree(B);
    return;
  }
  cudaMemset(A, 0, d * d * c.elem);
  cudaMemset(B, 0, d * d * c.elem);
  float alpha_f = 1, beta_f = 0;
  __half alpha_h = __float2half(1.0f), beta_h = __float2half(0.0f);
  int32_t alpha_i = 1, beta_i = 0;
  const void* alpha = c.compute == CUBLAS_COMPUTE_16F   ? static_cast<const void*>(&alpha_h)
                      : c.compute == CUBLAS_COMPUTE_32I ? static_cast<const void*>(&alpha_i)
                                                        : static_cast<const void*>(&alpha_f);
  const void* beta = c.compute == CUBLAS_COMPUTE_16F   ? static_cast<const void*>(&beta_h)
                     : c.compute == CUBLAS_COMPUTE_32I ? static_cast<const void*>(&beta_i)
                                                       : static_cast<const void*>(&beta_f);
  std::vector<double> flops;
  bool ok = true;
  for (int i = 0; i <= reps && ok; ++i) {
    cudaEventRecord(ev.a);
    ok = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, c.dim, c.dim, c.dim, alpha, A, c.in, c.dim, B, c.in, c.dim, beta, C,
                      c.out, c.dim, c.compute, CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS;
    cudaEventRecord(ev.b);
    const double s = ev.Seconds();
    if (ok && i > 0) flops.push_back(2.0 * static_cast<double>(d) * d * d / s);
  }
  if (ok) r.gemm_flops[c.name] = Summarize(flops);
  cudaFree(A);
  cudaFree(B);
  cudaFree(C);
}

std::optional<GpuResult> Measure(int reps, std::string* why_not) {
  int count = 0;
  if (!Ok(cudaGetDeviceCount(&count), why_not, "no CUDA device")) return std::nullopt;
  if (count == 0) {
    if (why_not) *why_not = "no CUDA device";
    return std::nullopt;
  }
  cudaDeviceProp prop{};
  if (!Ok(cudaGetDeviceProperties(&prop, 0), why_not, "cudaGetDeviceProperties")) return std::nullopt;
  GpuResult r;
  r.name = prop.name;
  r.compute_capability = prop.major * 10 + prop.minor;
  r.sm_count = prop.multiProcessorCount;
  r.memory_bytes = static_cast<double>(prop.totalGlobalMem);
  Events ev;

  // Device bandwidth: copy 2 x 1 GiB (or an eighth of memory each when smaller).
  const size_t bytes = std::min<size_t>(size_t{1} << 30, prop.totalGlobalMem / 8) / 16 * 16;
  float4 *a = nullptr, *b = nullptr;
  if (!Ok(cudaMalloc(&a, bytes), why_not, "cudaMalloc") || !Ok(cudaMalloc(&b, bytes), why_not, "cudaMalloc")) {
    cudaFree(a);
    return std::nullopt;
  }
  cudaMemset(a, 0, bytes);
  const size_t n4 = bytes / 16;
  const int blocks = prop.multiProcessorCount * 8;
  std::vector<double> copy;
  for (int i = 0; i <= reps; ++i) {
    cudaEventRecord(ev.a);
    CopyKernel<<<blocks, 512>>>(a, b, n4);
    cudaEventRecord(ev.b);
    const double s = ev.Seconds();
    if (i > 0) copy.push_back(2.0 * static_cast<double>(bytes) / s);
  }
  r.device_copy = Summarize(copy);

  MeasureHostLink(reps, a, bytes, ev, r, why_not);
  cudaFree(a);
  cudaFree(b);

  // cuBLAS GEMMs, m = n = k = 8192 (4096 for FP32), as frameworks call them.
  cublasHandle_t h = nullptr;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    if (why_not) *why_not = "cublasCreate failed";
    return r;
  }
  const Case cases[] = {
      {"fp32", CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 4, 4, 4096},
      {"fp16", CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, 2, 2, 8192},
      {"fp16_fp16acc", CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_16F, 2, 2, 8192},
      {"bf16", CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, 2, 2, 8192},
      {"int8", CUDA_R_8I, CUDA_R_32I, CUBLAS_COMPUTE_32I, 1, 4, 8192},
  };
  for (const auto& c : cases) MeasureGemm(reps, h, c, ev, r);
  cublasDestroy(h);
  return r;
}
}  // namespace

}  // namespace tokcast::measure

extern "C" __attribute__((visibility("default"))) int tokcast_gpu_measure(int reps, tokcast::measure::GpuResult* out,
                                                                          std::string* why_not) {
  auto r = tokcast::measure::Measure(reps, why_not);
  if (!r) return 0;
  *out = std::move(*r);
  return 1;
}
