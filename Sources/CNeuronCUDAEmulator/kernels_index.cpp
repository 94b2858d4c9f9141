// The kernels of index.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/index.cu"

NK_EMULATE(gather_1)
NK_EMULATE(gather_4)
NK_EMULATE(gather_8)
NK_EMULATE(scatter_add_f32)
NK_EMULATE(scatter_add_f64)
NK_EMULATE(index_select_1)
NK_EMULATE(index_select_4)
NK_EMULATE(index_select_8)
NK_EMULATE(index_add_f32)
NK_EMULATE(index_add_f64)
NK_EMULATE(one_hot)
NK_EMULATE(gather_2)
NK_EMULATE(index_select_2)
