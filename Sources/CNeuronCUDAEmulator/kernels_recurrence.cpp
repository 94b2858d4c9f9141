// The kernels of recurrence.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/recurrence.cu"

NK_EMULATE(rnn_step_forward_f32)
NK_EMULATE(rnn_step_backward_f32)
NK_EMULATE(rnn_step_forward_f64)
NK_EMULATE(rnn_step_backward_f64)
