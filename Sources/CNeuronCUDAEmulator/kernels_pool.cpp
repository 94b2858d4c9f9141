// The kernels of pool.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/pool.cu"

NK_EMULATE(max_pool_f32)
NK_EMULATE(window_average_f32)
NK_EMULATE(window_spread_f32)
NK_EMULATE(max_pool_f64)
NK_EMULATE(window_average_f64)
NK_EMULATE(window_spread_f64)
