#include "neuron_image.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

// libjpeg reports fatal errors through error_exit, which by default ends the process: this one
// jumps back to the decoder with the library's message.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} error_manager;

static void escape_on_error(j_common_ptr info) {
    error_manager *manager = (error_manager *)info->err;
    manager->base.format_message(info, manager->message);
    longjmp(manager->escape, 1);
}

static void ignore_warning(j_common_ptr info, int level) { (void)info; (void)level; }

unsigned char *nimg_decode_jpeg(const char *path, int *width, int *height, char *error, size_t error_size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "cannot open the file");
        return NULL;
    }
    struct jpeg_decompress_struct info;
    error_manager manager;
    unsigned char *volatile pixels = NULL;
    info.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = escape_on_error;
    manager.base.emit_message = ignore_warning;
    if (setjmp(manager.escape)) {
        snprintf(error, error_size, "not a readable JPEG (%s)", manager.message);
        jpeg_destroy_decompress(&info);
        fclose(file);
        free(pixels);
        return NULL;
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * 3;
    pixels = malloc(stride * info.output_height);
    if (!pixels) {
        snprintf(error, error_size, "out of memory for %u × %u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        fclose(file);
        return NULL;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    fclose(file);
    return pixels;
}

void nimg_free(unsigned char *pixels) { free(pixels); }
