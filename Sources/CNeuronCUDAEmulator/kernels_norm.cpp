// The kernels of norm.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/norm.cu"

NK_EMULATE(channel_stats_f32)
NK_EMULATE(channel_grad_sums_f32)
NK_EMULATE(channel_affine_f32)
NK_EMULATE(channel_stats_f64)
NK_EMULATE(channel_grad_sums_f64)
NK_EMULATE(channel_affine_f64)
NK_EMULATE(layer_norm_forward_f32)
NK_EMULATE(layer_norm_backward_f32)
NK_EMULATE(layer_norm_parameter_grads_f32)
NK_EMULATE(layer_norm_forward_f64)
NK_EMULATE(layer_norm_backward_f64)
NK_EMULATE(layer_norm_parameter_grads_f64)
