#ifndef NEURON_IMAGE_H
#define NEURON_IMAGE_H

#include <stddef.h>

/// Decodes a JPEG file into 8-bit RGB (rows of width × 3 bytes) with libjpeg-turbo. Returns the
/// pixels (free them with nimg_free) and sets *width and *height, or returns NULL with a
/// one-line reason in `error`. libjpeg's fatal errors return here instead of ending the process.
unsigned char *nimg_decode_jpeg(const char *path, int *width, int *height, char *error, size_t error_size);

/// Frees what nimg_decode_jpeg returned.
void nimg_free(unsigned char *pixels);

#endif
