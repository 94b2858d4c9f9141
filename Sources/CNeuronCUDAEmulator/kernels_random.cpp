// The kernels of random.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/random.cu"

NK_EMULATE(uniform_f32)
NK_EMULATE(normal_f32)
NK_EMULATE(bernoulli_f32)
NK_EMULATE(uniform_f64)
NK_EMULATE(normal_f64)
NK_EMULATE(bernoulli_f64)
