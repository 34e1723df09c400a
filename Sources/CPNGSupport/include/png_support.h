#ifndef TWEEN_PNG_SUPPORT_H
#define TWEEN_PNG_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// Reads a PNG file as 8-bit RGB (palette, gray, 16-bit and alpha are converted; gamma
/// chunks are ignored, as OpenCV and PIL ignore them). On success returns 0 and sets
/// *pixels to a malloc'ed buffer of width*height*3 bytes (caller frees with free()).
/// On failure returns -1 and writes a message into error (at most error_size bytes).
/// Images wider or taller than max_side pixels are refused.
int tween_png_read_rgb8(const char *path, uint32_t max_side, uint32_t *width, uint32_t *height,
                        uint8_t **pixels, char *error, size_t error_size);

/// Reads only a PNG's header (and the chunks before its first IDAT): its size, without inflating
/// any pixel data. Returns 0 on success, -1 with a message in error on failure.
int tween_png_read_size(const char *path, uint32_t max_side, uint32_t *width, uint32_t *height,
                        char *error, size_t error_size);

/// Writes 8-bit RGB pixels (rows top to bottom, width*3 bytes each) as a PNG file.
/// Returns 0 on success, -1 with a message in error on failure.
int tween_png_write_rgb8(const char *path, uint32_t width, uint32_t height, const uint8_t *pixels,
                         char *error, size_t error_size);

/// Writes RGB pixels of bit_depth 8 (bytes) or 16 (uint16_t in the machine's byte order) as a PNG.
int tween_png_write_rgb(const char *path, uint32_t width, uint32_t height, int bit_depth, const void *pixels,
                        char *error, size_t error_size);
#endif
