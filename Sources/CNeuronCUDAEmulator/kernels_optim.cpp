// The kernels of optim.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/optim.cu"

NK_EMULATE(adam_f32)
NK_EMULATE(adam_f64)
NK_EMULATE(sgd_f32)
NK_EMULATE(sgd_f64)
