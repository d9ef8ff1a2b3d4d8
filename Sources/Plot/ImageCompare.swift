// Compares two PNG renderings of a figure: decoded through Cairo, the RMS difference of their channels (0–255)
// and the fraction of pixels that differ; and an amplified difference image for a person to look at.

import CCairo
import Foundation

/// A decoded image: width × height pixels, each 0xAARRGGBB (premultiplied, as Cairo stores them).
public struct RasterImage: Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt32]

    public init(width: Int, height: Int, pixels: [UInt32]) {
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Decodes a PNG.
    public init(png: Data) throws {
        final class Reader { let data: Data; var offset = 0; init(_ d: Data) { data = d } }
        let reader = Reader(png)
        let read: cairo_read_func_t = { closure, buffer, length in
            let r = Unmanaged<Reader>.fromOpaque(closure!).takeUnretainedValue()
            let n = Int(length)
            guard r.offset + n <= r.data.count else { return CAIRO_STATUS_READ_ERROR }
            r.data.copyBytes(to: buffer!, from: (r.data.startIndex + r.offset)..<(r.data.startIndex + r.offset + n))
            r.offset += n
            return CAIRO_STATUS_SUCCESS
        }
        let surface = withExtendedLifetime(reader) {
            cairo_image_surface_create_from_png_stream(read, Unmanaged.passUnretained(reader).toOpaque())!
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { throw PlotError.cairo("not a readable PNG") }
        let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        let data = cairo_image_surface_get_data(surface)!
        var px = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<w { px[y * w + x] = format == CAIRO_FORMAT_RGB24 ? row[x] | 0xFF00_0000 : row[x] }
        }
        self.init(width: w, height: h, pixels: px)
    }

    /// The image as a PNG.
    public func png() throws -> Data {
        var copy = pixels
        return try copy.withUnsafeMutableBytes { buf -> Data in
            let surface = cairo_image_surface_create_for_data(buf.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                              CAIRO_FORMAT_ARGB32, Int32(width), Int32(height), Int32(width * 4))!
            defer { cairo_surface_destroy(surface) }
            final class Sink { var data = Data() }
            let sink = Sink()
            let write: cairo_write_func_t = { closure, bytes, length in
                Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }
            let status = withExtendedLifetime(sink) {
                cairo_surface_write_to_png_stream(surface, write, Unmanaged.passUnretained(sink).toOpaque())
            }
            guard status == CAIRO_STATUS_SUCCESS else { throw PlotError.cairo("cannot encode PNG") }
            return sink.data
        }
    }
}

/// How much two renderings differ.
public struct ImageDifference: Sendable, Equatable {
    /// Root mean square of the per-channel differences (A, R, G, B), on the 0–255 scale.
    public var rms: Double
    /// The fraction of pixels with any channel different.
    public var changedFraction: Double
    /// False when the sizes differ (then rms = 255 and every pixel counts as changed).
    public var sameSize: Bool
}

/// Compares two images channel by channel.
public func compareImages(_ a: RasterImage, _ b: RasterImage) -> ImageDifference {
    guard a.width == b.width && a.height == b.height else { return ImageDifference(rms: 255, changedFraction: 1, sameSize: false) }
    var sq = 0.0, changed = 0
    for i in a.pixels.indices where a.pixels[i] != b.pixels[i] {
        changed += 1
        let p = a.pixels[i], q = b.pixels[i]
        for shift in stride(from: 0, to: 32, by: 8) {
            let d = Double(Int((p >> UInt32(shift)) & 0xFF) - Int((q >> UInt32(shift)) & 0xFF))
            sq += d * d
        }
    }
    let n = Double(max(1, a.pixels.count))
    return ImageDifference(rms: (sq / (4 * n)).squareRoot(), changedFraction: Double(changed) / n, sameSize: true)
}

/// A picture of the difference: the expected image faded to a light grey, and changed pixels in red, stronger
/// the larger the change (the largest channel difference times `amplify`).
public func differenceImage(expected a: RasterImage, actual b: RasterImage, amplify: Int = 8) -> RasterImage {
    guard a.width == b.width && a.height == b.height else { return b }
    var out = [UInt32](repeating: 0, count: a.pixels.count)
    for i in a.pixels.indices {
        let p = a.pixels[i], q = b.pixels[i]
        var maxd = 0
        for shift in stride(from: 0, to: 32, by: 8) {
            maxd = max(maxd, abs(Int((p >> UInt32(shift)) & 0xFF) - Int((q >> UInt32(shift)) & 0xFF)))
        }
        if maxd == 0 {
            // Luminance of the expected pixel, faded towards white.
            let r = Int((p >> 16) & 0xFF), g = Int((p >> 8) & 0xFF), bl = Int(p & 0xFF)
            let l = 200 + (r * 3 + g * 6 + bl) / 10 * 55 / 255
            out[i] = 0xFF00_0000 | UInt32(l) << 16 | UInt32(l) << 8 | UInt32(l)
        } else {
            let s = UInt32(max(0, 255 - min(255, maxd * amplify)))
            out[i] = 0xFFFF_0000 | s << 8 | s
        }
    }
    return RasterImage(width: a.width, height: a.height, pixels: out)
}
