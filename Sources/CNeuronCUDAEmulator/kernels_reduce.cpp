// The kernels of reduce.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/reduce.cu"

NK_EMULATE(sum_rows_f32)
NK_EMULATE(sum_cols_f32)
NK_EMULATE(extreme_f32)
NK_EMULATE(sum_rows_f64)
NK_EMULATE(sum_cols_f64)
NK_EMULATE(extreme_f64)
NK_EMULATE(sum_rows_i64)
NK_EMULATE(sum_cols_i64)
NK_EMULATE(extreme_i64)
NK_EMULATE(softmax_f32)
NK_EMULATE(softmax_f64)
NK_EMULATE(log_softmax_f32)
NK_EMULATE(log_softmax_f64)
