// The kernels of conv.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/conv.cu"

NK_EMULATE(im2col_f32)
NK_EMULATE(im2col_f64)
NK_EMULATE(im2col_f32_bf16)
NK_EMULATE(col2im_f32)
NK_EMULATE(col2im_f64)
NK_EMULATE(conv_epilogue_f32)
