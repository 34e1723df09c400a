// libpng reports errors by longjmp, which Swift cannot catch; this file keeps every
// setjmp/longjmp in C and hands Swift plain return codes and messages.
#include "png_support.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct error_context {
    jmp_buf jump;
    char *message;
    size_t size;
};

static void on_error(png_structp png, png_const_charp msg) {
    struct error_context *ctx = (struct error_context *)png_get_error_ptr(png);
    snprintf(ctx->message, ctx->size, "%s", msg);
    longjmp(ctx->jump, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

// No ancillary chunk may make libpng allocate more than this; frames carry no metadata Tween needs.
#define TWEEN_PNG_CHUNK_MALLOC_MAX (8u << 20)

// Every ancillary chunk libpng knows, skipped unread. libpng 1.6.39 allocates *and zeroes* a buffer
// of a text or palette chunk's declared length before reading it, whatever the chunk size limit: a
// 41-byte file declaring a 2 GB zTXt, tEXt, iTXt or sPLT chunk cost 2 GB of memory. Skipped chunks
// are read past in small pieces. None of them changes the decoded RGB (alpha, and so tRNS, is
// dropped; gamma is ignored, as OpenCV and PIL ignore it).
static void skip_ancillary_chunks(png_structp png) {
    static const png_byte chunks[] =
        "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0tRNS\0zTXt";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, chunks, (int)(sizeof chunks / 5));
}

int tween_png_read_size(const char *path, uint32_t max_side, uint32_t *width, uint32_t *height,
                        char *error, size_t error_size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "cannot open (%s)", strerror(errno));
        return -1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        snprintf(error, error_size, "not a PNG file");
        return -1;
    }
    struct error_context ctx = {.message = error, .size = error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return -1;
    }
    png_set_user_limits(png, max_side, max_side);
    png_set_chunk_malloc_max(png, TWEEN_PNG_CHUNK_MALLOC_MAX);
    skip_ancillary_chunks(png);
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);  // the chunks before the first IDAT; no pixel data is inflated
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return 0;
}

int tween_png_read_rgb8(const char *path, uint32_t max_side, uint32_t *width, uint32_t *height,
                        uint8_t **pixels, char *error, size_t error_size) {
    *pixels = NULL;
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "cannot open (%s)", strerror(errno));
        return -1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        snprintf(error, error_size, "not a PNG file");
        return -1;
    }
    struct error_context ctx = {.message = error, .size = error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    // volatile: modified between setjmp and a possible longjmp.
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(ctx.jump)) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return -1;
    }
    png_set_user_limits(png, max_side, max_side);
    png_set_chunk_malloc_max(png, TWEEN_PNG_CHUNK_MALLOC_MAX);
    skip_ancillary_chunks(png);
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int color = png_get_color_type(png, info);
    if (png_get_bit_depth(png, info) == 16) png_set_scale_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_expand(png);        // low bit depths and tRNS to 8 bits
    png_set_strip_alpha(png);   // alpha is dropped, not composited: frames are opaque
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) {
        snprintf(error, error_size, "unsupported PNG layout");
        longjmp(ctx.jump, 1);
    }
    buffer = malloc((size_t)w * h * 3);
    rows = malloc(sizeof(png_bytep) * h);
    if (!buffer || !rows) {
        snprintf(error, error_size, "out of memory for %ux%u pixels", w, h);
        longjmp(ctx.jump, 1);
    }
    for (uint32_t y = 0; y < h; y++) rows[y] = buffer + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    *width = w;
    *height = h;
    *pixels = buffer;
    return 0;
}

int tween_png_write_rgb8(const char *path, uint32_t width, uint32_t height, const uint8_t *pixels,
                         char *error, size_t error_size) {
    return tween_png_write_rgb(path, width, height, 8, pixels, error, error_size);
}

int tween_png_write_rgb(const char *path, uint32_t width, uint32_t height, int bit_depth, const void *pixels,
                        char *error, size_t error_size) {
    if (bit_depth != 8 && bit_depth != 16) {
        snprintf(error, error_size, "bit depth %d is not 8 or 16", bit_depth);
        return -1;
    }
    FILE *file = fopen(path, "wb");
    if (!file) {
        snprintf(error, error_size, "cannot create (%s)", strerror(errno));
        return -1;
    }
    struct error_context ctx = {.message = error, .size = error_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return -1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    // PNG stores 16-bit samples big-endian; ours are the machine's order.
    const uint16_t probe = 1;
    if (bit_depth == 16 && *(const uint8_t *)&probe == 1) png_set_swap(png);
    const size_t row_bytes = (size_t)width * 3 * (size_t)(bit_depth / 8);
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)pixels + (size_t)y * row_bytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(file) != 0) {
        snprintf(error, error_size, "write failed (%s)", strerror(errno));
        return -1;
    }
    return 0;
}
