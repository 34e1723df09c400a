/// `torch.cat(parts, dim=1)` for NCHW tensors that agree in N, H and W.
public func concatenatedChannels(_ parts: [Tensor]) -> Tensor {
    precondition(!parts.isEmpty, "cat of nothing")
    let (n, h, w) = (parts[0].n, parts[0].h, parts[0].w)
    for p in parts { precondition(p.n == n && p.h == h && p.w == w, "cat: \(p.shape) vs \(parts[0].shape)") }
    let total = parts.reduce(0) { $0 + $1.c }
    let plane = h * w
    var scalars = [Float]()
    scalars.reserveCapacity(n * total * plane)
    for b in 0..<n {
        for p in parts {
            let chunk = p.c * plane
            scalars.append(contentsOf: p.scalars[(b * chunk)..<((b + 1) * chunk)])
        }
    }
    return Tensor(shape: [n, total, h, w], scalars: scalars)
}

/// `x[:, range]` for an NCHW tensor (a copy).
public func slicedChannels(_ x: Tensor, _ range: Range<Int>) -> Tensor {
    precondition(range.lowerBound >= 0 && range.upperBound <= x.c, "channels \(range) of \(x.shape)")
    let plane = x.h * x.w
    var scalars = [Float]()
    scalars.reserveCapacity(x.n * range.count * plane)
    for b in 0..<x.n {
        let start = (b * x.c + range.lowerBound) * plane
        scalars.append(contentsOf: x.scalars[start..<(start + range.count * plane)])
    }
    return Tensor(shape: [x.n, range.count, x.h, x.w], scalars: scalars)
}

/// `x[:, :, rows]` for an NCHW tensor (a copy): one band of rows, all channels.
public func slicedRows(_ x: Tensor, _ rows: Range<Int>) -> Tensor {
    precondition(rows.lowerBound >= 0 && rows.upperBound <= x.h, "rows \(rows) of \(x.shape)")
    if rows == 0..<x.h { return x }
    var out = Tensor(uninitializedShape: [x.n, x.c, rows.count, x.w])
    let band = rows.count * x.w
    x.scalars.withUnsafeBufferPointer { src in
        out.scalars.withUnsafeMutableBufferPointer { dst in
            for p in 0..<(x.n * x.c) {
                (dst.baseAddress! + p * band).update(from: src.baseAddress! + (p * x.h + rows.lowerBound) * x.w, count: band)
            }
        }
    }
    return out
}

/// Crops an NCHW tensor to its top-left `height × width` (undoes right/bottom padding).
public func cropped(_ x: Tensor, height: Int, width: Int) -> Tensor {
    precondition(height <= x.h && width <= x.w, "crop \(height)x\(width) of \(x.shape)")
    if height == x.h && width == x.w { return x }
    var out = Tensor(shape: [x.n, x.c, height, width])
    for p in 0..<(x.n * x.c) { for y in 0..<height {
        let src = (p * x.h + y) * x.w, dst = (p * height + y) * width
        out.scalars[dst..<(dst + width)] = x.scalars[src..<(src + width)]
    } }
    return out
}

/// Zero-pads an NCHW tensor at the right and bottom to `height × width`.
public func paddedBottomRight(_ x: Tensor, height: Int, width: Int) -> Tensor {
    precondition(height >= x.h && width >= x.w, "pad \(x.shape) to \(height)x\(width)")
    if height == x.h && width == x.w { return x }
    var out = Tensor(shape: [x.n, x.c, height, width])
    for p in 0..<(x.n * x.c) { for y in 0..<x.h {
        let src = (p * x.h + y) * x.w, dst = (p * height + y) * width
        out.scalars[dst..<(dst + x.w)] = x.scalars[src..<(src + x.w)]
    } }
    return out
}

/// `pixel_shuffle(x, r)`: [N, C·r², H, W] → [N, C, H·r, W·r].
public func pixelShuffled(_ x: Tensor, factor r: Int) -> Tensor {
    precondition(x.c % (r * r) == 0, "pixel shuffle: channels \(x.c) not divisible by \(r * r)")
    let (n, c, h, w) = (x.n, x.c / (r * r), x.h, x.w)
    var out = Tensor(uninitializedShape: [n, c, h * r, w * r])
    let ow = w * r
    x.scalars.withUnsafeBufferPointer { src in
        out.scalars.withUnsafeMutableBufferPointer { dst in
            let (ps, pd) = (src.baseAddress!, dst.baseAddress!)
            parallelFor(n * c * h) { rows in
                for row in rows {
                    let y = row % h, plane = row / h  // plane = b * c + ch
                    for dy in 0..<r { for dx in 0..<r {
                        let s = ((plane * r * r + dy * r + dx) * h + y) * w
                        let d = (plane * h * r + y * r + dy) * ow + dx
                        for xx in 0..<w { pd[d + xx * r] = ps[s + xx] }
                    } }
                }
            }
        }
    }
    return out
}
