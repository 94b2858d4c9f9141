import CCairo
import Glibc
import Neuron
import NeuronData

/// Line charts of training curves and scatter plots, drawn with cairo to PNG or SVG: axes, ticks, tick labels,
/// axis labels, a title and a legend per panel; several panels side by side.
public enum Plot {
    /// One line of a chart, or with `points` a scatter of unconnected dots.
    public struct Series {
        public let name: String
        public let xs: [Double]
        public let ys: [Double]
        public let points: Bool
        public init(_ name: String, xs: [Double], ys: [Double], points: Bool = false) {
            precondition(xs.count == ys.count, "Plot.Series: \(xs.count) x values for \(ys.count) y values")
            self.name = name
            self.xs = xs
            self.ys = ys
            self.points = points
        }
    }

    /// One panel.
    public struct Chart {
        public let title: String, xLabel: String, yLabel: String
        public let series: [Series]
        /// Logarithmic axes, for values that span decades; values ≤ 0 are left out there.
        public let logX: Bool, logY: Bool
        public init(title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false, logY: Bool = false) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.series = series
            self.logX = logX
            self.logY = logY
        }
    }

    static let colors: [(Double, Double, Double)] = [
        (0.12, 0.47, 0.71), (1.0, 0.5, 0.05), (0.17, 0.63, 0.17),
        (0.84, 0.15, 0.16), (0.58, 0.4, 0.74), (0.55, 0.34, 0.29),
        (0.89, 0.47, 0.76), (0.5, 0.5, 0.5), (0.74, 0.74, 0.13), (0.09, 0.75, 0.81),
    ]

    /// Draws the charts side by side into `path` (`.png` or `.svg`).
    public static func write(_ charts: [Chart], to path: String, panelWidth: Double = 520, height: Double = 400) throws {
        let width = panelWidth * Double(max(charts.count, 1))
        let svg = path.hasSuffix(".svg")
        let surface: OpaquePointer? =
            svg
            ? cairo_svg_surface_create(path, width, height)
            : cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw DataError("\(path): cannot create a drawing surface")
        }
        defer { cairo_surface_destroy(surface) }
        let cr = cairo_create(surface)!
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        for (i, chart) in charts.enumerated() {
            draw(chart, cr, x: Double(i) * panelWidth, width: panelWidth, height: height)
        }
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        if svg {
            cairo_surface_finish(surface)
            guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { throw DataError("\(path): cannot write SVG") }
        } else {
            let png = try pngBytes(surface)
            try png.withUnsafeBytes { try writeFileAtomically(path, [$0]) }
        }
    }

    /// Round tick positions (1, 2 or 5 × 10ᵏ apart) covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5, whole: Bool = false) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = whole ? max(span / Double(count), 1) : span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var result: [Double] = []
        var t = ceil(low / step) * step
        while t <= high + step * 1e-9 {
            result.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return result
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        var buffer = [CChar](repeating: 0, count: 32)
        _ = withVaList([value]) { vsnprintf(&buffer, 32, "%.3g", $0) }
        return String(cString: buffer)
    }

    /// Ticks of a logarithmic axis over the exponents [low, high]: the powers of ten inside
    /// (every k-th where there are many), or, where fewer than two fit, round values of the range (as exponents).
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = floor(high) - ceil(low), step = max(1, ceil(span / 6))
        let exponents = stride(from: ceil(low), through: floor(high), by: step).map { $0 }
        return exponents.count >= 2 ? exponents : ticks(pow(10, low), pow(10, high)).filter { $0 > 0 }.map { log10($0) }
    }

    static func draw(_ original: Chart, _ cr: OpaquePointer, x originX: Double, width: Double, height: Double) {
        // A logarithmic axis draws log10 of the values, and labels its ticks 10^t.
        func axis(_ values: [Double], _ log: Bool) -> [Double] { log ? values.map { $0 > 0 ? log10($0) : .nan } : values }
        let chart = Chart(
            title: original.title, xLabel: original.xLabel, yLabel: original.yLabel,
            series: original.series.map {
                Series($0.name, xs: axis($0.xs, original.logX), ys: axis($0.ys, original.logY), points: $0.points)
            },
            logX: original.logX, logY: original.logY)
        let left = originX + 70, right = originX + width - 20, top = 40.0, bottom = height - 55
        let xs = chart.series.flatMap { $0.xs }.filter { $0.isFinite }, ys = chart.series.flatMap { $0.ys }.filter { $0.isFinite }
        var (xLow, xHigh) = (xs.min() ?? 0, xs.max() ?? 1)
        var (yLow, yHigh) = (ys.min() ?? 0, ys.max() ?? 1)
        if xHigh == xLow {
            xLow -= 1
            xHigh += 1
        }
        if yHigh == yLow {
            yLow -= 0.5
            yHigh += 0.5
        }
        let pad = (yHigh - yLow) * 0.05
        yLow -= pad
        yHigh += pad
        func tickLabel(_ t: Double, _ log: Bool) -> String { log ? label(pow(10, t)) : label(t) }
        func px(_ v: Double) -> Double { left + (v - xLow) / (xHigh - xLow) * (right - left) }
        func py(_ v: Double) -> Double { bottom - (v - yLow) / (yHigh - yLow) * (bottom - top) }

        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, 12)
        // Grid, ticks and tick labels.
        cairo_set_line_width(cr, 1)
        for t in chart.logY ? logTicks(yLow, yHigh) : ticks(yLow, yHigh) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9)
            cairo_move_to(cr, left, py(t))
            cairo_line_to(cr, right, py(t))
            cairo_stroke(cr)
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
            text(cr, tickLabel(t, chart.logY), x: left - 6, y: py(t), alignX: 1, alignY: 0.5)
        }
        let wholeXs = xs.allSatisfy { $0 == $0.rounded() }
        for t in chart.logX ? logTicks(xLow, xHigh) : ticks(xLow, xHigh, whole: wholeXs) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9)
            cairo_move_to(cr, px(t), top)
            cairo_line_to(cr, px(t), bottom)
            cairo_stroke(cr)
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
            text(cr, tickLabel(t, chart.logX), x: px(t), y: bottom + 6, alignX: 0.5, alignY: 0)
        }
        // Frame.
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
        cairo_rectangle(cr, left, top, right - left, bottom - top)
        cairo_stroke(cr)
        // Labels and title.
        text(cr, chart.xLabel, x: (left + right) / 2, y: height - 22, alignX: 0.5, alignY: 0)
        cairo_save(cr)
        cairo_translate(cr, originX + 18, (top + bottom) / 2)
        cairo_rotate(cr, -Double.pi / 2)
        text(cr, chart.yLabel, x: 0, y: 0, alignX: 0.5, alignY: 0.5)
        cairo_restore(cr)
        cairo_set_font_size(cr, 14)
        text(cr, chart.title, x: (left + right) / 2, y: 12, alignX: 0.5, alignY: 0)
        cairo_set_font_size(cr, 12)
        // Lines.
        cairo_rectangle(cr, left, top, right - left, bottom - top)
        cairo_save(cr)
        cairo_clip(cr)
        cairo_set_line_width(cr, 2)
        for (i, series) in chart.series.enumerated() {
            let color = colors[i % colors.count]
            cairo_set_source_rgb(cr, color.0, color.1, color.2)
            if series.points {
                for (x, y) in zip(series.xs, series.ys) where x.isFinite && y.isFinite {
                    cairo_arc(cr, px(x), py(y), 1.6, 0, 2 * Double.pi)
                    cairo_fill(cr)
                }
                continue
            }
            var started = false
            for (x, y) in zip(series.xs, series.ys) where x.isFinite && y.isFinite {
                if started {
                    cairo_line_to(cr, px(x), py(y))
                } else {
                    cairo_move_to(cr, px(x), py(y))
                    started = true
                }
            }
            cairo_stroke(cr)
            if series.xs.count == 1, let x = series.xs.first, let y = series.ys.first {
                cairo_arc(cr, px(x), py(y), 3, 0, 2 * Double.pi)
                cairo_fill(cr)
            }
        }
        cairo_restore(cr)
        // Legend.
        let rowHeight = 18.0
        let legendWidth = (chart.series.map { textWidth(cr, $0.name) }.max() ?? 0) + 40
        let legendHeight = rowHeight * Double(chart.series.count) + 8
        // The corner (or side) whose box covers the fewest points of the lines, the first such.
        let corners = [
            (right - legendWidth - 8, top + 8), (right - legendWidth - 8, bottom - legendHeight - 8),
            (left + 8, top + 8), (left + 8, bottom - legendHeight - 8),
            (right - legendWidth - 8, (top + bottom - legendHeight) / 2), (left + 8, (top + bottom - legendHeight) / 2),
        ]
        // Points along every line segment, so the legend avoids lines as well as data points.
        var points: [(Double, Double)] = []
        for series in chart.series {
            var previous: (Double, Double)?
            for (x, y) in zip(series.xs, series.ys) where x.isFinite && y.isFinite {
                let current = (px(x), py(y))
                if let from = previous {
                    for step in 1...16 {
                        let t = Double(step) / 16
                        points.append((from.0 + (current.0 - from.0) * t, from.1 + (current.1 - from.1) * t))
                    }
                } else {
                    points.append(current)
                }
                previous = current
            }
        }
        func covered(_ corner: (Double, Double)) -> Int {
            points.filter { point in
                let insideX = point.0 >= corner.0 - 4 && point.0 <= corner.0 + legendWidth + 12
                let insideY = point.1 >= corner.1 - 4 && point.1 <= corner.1 + legendHeight + 4
                return insideX && insideY
            }.count
        }
        let counts = corners.map(covered)
        let (legendX, legendY) = corners[counts.firstIndex(of: counts.min() ?? 0) ?? 0]
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85)
        cairo_rectangle(cr, legendX, legendY, legendWidth, legendHeight)
        cairo_fill_preserve(cr)
        cairo_set_source_rgb(cr, 0.7, 0.7, 0.7)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
        for (i, series) in chart.series.enumerated() {
            let y = legendY + 4 + rowHeight * (Double(i) + 0.5)
            let color = colors[i % colors.count]
            cairo_set_source_rgb(cr, color.0, color.1, color.2)
            cairo_set_line_width(cr, 2)
            if series.points {
                cairo_arc(cr, legendX + 16, y, 3.5, 0, 2 * Double.pi)
                cairo_fill(cr)
            } else {
                cairo_move_to(cr, legendX + 6, y)
                cairo_line_to(cr, legendX + 26, y)
                cairo_stroke(cr)
            }
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1)
            text(cr, series.name, x: legendX + 32, y: y, alignX: 0, alignY: 0.5)
        }
    }

    static func textWidth(_ cr: OpaquePointer, _ s: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, s, &extents)
        return extents.x_advance
    }

    static func text(_ cr: OpaquePointer, _ s: String, x: Double, y: Double, alignX: Double, alignY: Double) {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, s, &extents)
        cairo_move_to(cr, x - extents.x_advance * alignX, y - extents.y_bearing - extents.height * alignY)
        cairo_show_text(cr, s)
    }

    /// The surface encoded as PNG in memory.
    static func pngBytes(_ surface: OpaquePointer) throws -> [UInt8] {
        var output: [UInt8] = []
        let status = withUnsafeMutablePointer(to: &output) { pointer in
            cairo_surface_write_to_png_stream(
                surface,
                { closure, data, length in
                    let buffer = closure!.assumingMemoryBound(to: [UInt8].self)
                    buffer.pointee.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                    return CAIRO_STATUS_SUCCESS
                }, pointer)
        }
        guard status == CAIRO_STATUS_SUCCESS else { throw DataError("PNG encoding failed") }
        return output
    }
}

/// Images tiled into one PNG (samples, reconstructions, generated digits).
public enum ImageGrid {
    /// `images` is [N, C, H, W] or [N, H, W] with values in [0, 1] (C = 1 or 3); each image is
    /// drawn `scale` times larger, `columns` per row, with a 2-pixel gap.
    public static func png(_ images: Tensor, columns: Int = 8, scale: Int = 2) throws -> (bytes: [UInt8], width: Int, height: Int) {
        let x = images.rank == 3 ? images.unsqueezed(axis: 1) : images
        precondition(
            x.rank == 4 && (x.shape[1] == 1 || x.shape[1] == 3),
            "ImageGrid: expects [N, C, H, W] with 1 or 3 channels, got \(images.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cols = max(1, min(columns, n)), rows = (n + cols - 1) / cols
        let gap = 2, cellW = w * scale + gap, cellH = h * scale + gap
        let width = cols * cellW + gap, height = rows * cellH + gap
        let values = x.clamped(min: 0, max: 1).toArray(Float.self)
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))!
        defer { cairo_surface_destroy(surface) }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        for i in 0..<(width * height) {
            data.advanced(by: (i / width) * stride + (i % width) * 4).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee = 0x0040_4040 }
        }
        for image in 0..<n {
            let originX = gap + (image % cols) * cellW, originY = gap + (image / cols) * cellH
            for row in 0..<(h * scale) {
                for col in 0..<(w * scale) {
                    let (sy, sx) = (row / scale, col / scale)
                    func channel(_ k: Int) -> UInt32 {
                        UInt32((values[((image * c + (c == 1 ? 0 : k)) * h + sy) * w + sx] * 255).rounded())
                    }
                    let pixel = channel(0) << 16 | channel(1) << 8 | channel(2)
                    data.advanced(by: (originY + row) * stride + (originX + col) * 4)
                        .withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee = pixel }
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        return (try Plot.pngBytes(surface), width, height)
    }

    /// Writes the grid to a PNG file.
    public static func write(_ images: Tensor, to path: String, columns: Int = 8, scale: Int = 2) throws {
        let bytes = try png(images, columns: columns, scale: scale).bytes
        try bytes.withUnsafeBytes { try writeFileAtomically(path, [$0]) }
    }
}
