import CCairo
import CNeuronImage
import Glibc
import Neuron
import NeuronData

/// Photos read from PNG (cairo) and JPEG (libjpeg-turbo) files, and resized for a network.
public enum ImageFile {
    /// The pixels of a PNG or JPEG file as RGB float32 [3, H, W] in 0…255 (grey images are
    /// repeated over the three channels; transparency is dropped).
    public static func read(_ path: String) throws -> Tensor {
        guard access(path, R_OK) == 0 else { throw DataError("\(path): No such file or readable image") }
        var header = [UInt8](repeating: 0, count: 8)
        guard let file = fopen(path, "rb") else { throw DataError("\(path): cannot open") }
        let count = fread(&header, 1, 8, file)
        fclose(file)
        if count >= 8 && header == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return try png(path) }
        if count >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF { return try jpeg(path) }
        throw DataError("\(path): not a PNG or JPEG image")
    }

    static func png(_ path: String) throws -> Tensor {
        guard let surface = cairo_image_surface_create_from_png(path) else { throw DataError("\(path): cannot read the PNG") }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw DataError("\(path): not a readable PNG (\(String(cString: cairo_status_to_string(cairo_surface_status(surface)))))")
        }
        let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        guard format == CAIRO_FORMAT_ARGB32 || format == CAIRO_FORMAT_RGB24, let data = cairo_image_surface_get_data(surface) else {
            throw DataError("\(path): unsupported PNG pixel format")
        }
        // Native-endian 32-bit words: alpha (or unused) in the top byte, then red, green, blue.
        var values = [Float](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            let row = UnsafeRawPointer(data + y * stride)
            for x in 0..<width {
                let word = row.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self)
                let alpha = format == CAIRO_FORMAT_ARGB32 ? Float(word >> 24) : 255
                // Undo cairo's premultiplied alpha (an opaque pixel is unchanged).
                let scale = alpha > 0 ? 255 / alpha : 0
                for (channel, shift) in [(0, 16), (1, 8), (2, 0)] {
                    values[(channel * height + y) * width + x] = min(Float((word >> UInt32(shift)) & 0xFF) * scale, 255)
                }
            }
        }
        return Tensor(values, shape: [3, height, width])
    }

    static func jpeg(_ path: String) throws -> Tensor {
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        guard let pixels = nimg_decode_jpeg(path, &width, &height, &message, message.count) else {
            throw DataError("\(path): \(String(cString: message))")
        }
        defer { nimg_free(pixels) }
        let (w, h) = (Int(width), Int(height))
        var values = [Float](repeating: 0, count: 3 * w * h)
        for i in 0..<(w * h) {
            for channel in 0..<3 { values[channel * w * h + i] = Float(pixels[3 * i + channel]) }
        }
        return Tensor(values, shape: [3, h, w])
    }

    /// `image` [3, H, W] resized to `size` × `size` (bilinear, as PyTorch's `F.interpolate`
    /// without antialiasing) and batched as [1, 3, size, size].
    public static func resized(_ image: Tensor, to size: Int) -> Tensor {
        image.reshaped([1] + image.shape).upsampleBilinear(size: (size, size), alignCorners: false)
    }
}
