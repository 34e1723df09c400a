public import Foundation
import Interpolation
import MediaIO
import ImageMetrics

extension EvaluationRun {
    /// The summary as a Markdown table: mean PSNR, both SSIMs, LPIPS, IE and seconds per sample
    /// for each method, preceded by one line naming the dataset.
    public var table: String {
        var lines = [headline,
                     "| method | PSNR (dB) | SSIM (skimage 7×7) | SSIM (Gaussian 11×11) | LPIPS (alex) | IE | s / sample |",
                     "|---|---|---|---|---|---|---|"]
        for method in methods {
            let m = mean(method)
            lines.append("| \(label(method)) | \(format(m.psnr, 3)) | \(format(m.ssim, 4)) | \(format(m.ssimGaussian, 4)) | "
                         + "\(m.lpips.map { format($0, 4) } ?? "–") | \(format(m.ie, 3)) | \(format(m.seconds, 3)) |")
        }
        if let gate, let g = gateSummary { lines.append(g.line(gate, seconds: gateSeconds)) }
        return lines.joined(separator: "\n")
    }

    /// What was evaluated, in one line: the dataset and its layout, or for a video the drop-frame
    /// protocol's windows (used, skipped and why); the sample count and the time.
    public var headline: String {
        if let video {
            return "\(dataset.location.path): video drop-frame protocol, \(video.line); \(results.count) samples, \(format(seconds, 1)) s"
        }
        return "\(dataset.location.path): \(dataset.layout.rawValue) layout, \(results.count) samples, \(format(seconds, 1)) s"
    }

    /// The per-sample report: the dataset, the means, and one row per sample with every method's
    /// scores (`psnr` is null for a perfect prediction, `lpips` null when LPIPS was not computed).
    public func json() throws -> Data {
        func encode(_ s: Scores) -> [String: Any] {
            ["psnr": s.psnr.isFinite ? s.psnr : NSNull(), "ssim": s.ssim, "ssim_gaussian": s.ssimGaussian,
             "lpips": s.lpips ?? NSNull(), "ie": s.ie, "seconds": s.seconds]
        }
        let rows: [[String: Any]] = results.map { r in
            var row: [String: Any] = ["sample": r.sample.name, "w": r.width, "h": r.height, "t": r.sample.t]
            if let f = r.sample.videoFrames {
                // Frame numbers (0-based, decoding order) in the video named by "dataset".
                row["frame0"] = f.frame0
                row["frame1"] = f.frame1
                row["gt"] = f.groundTruth
            } else {
                row["frame0"] = r.sample.frame0.path
                row["frame1"] = r.sample.frame1.path
                row["gt"] = r.sample.groundTruth.path
            }
            for method in methods { row[method.rawValue] = encode(r.scores[method]!) }
            if let q = r.quality {
                row["gate"] = [
                    "disagreement_p99": q.parts.disagreement, "disagreement_median": q.parts.wholesaleDisagreement,
                    "sharpness": q.parts.sharpness, "flow_asymmetry": q.parts.flowAsymmetry,
                    "predicted_lpips": q.predictedLPIPS, "score": q.score,
                    "action": r.gateAction?.rawValue ?? NSNull(), "flagged": r.flagged, "network_passes": r.networkPasses ?? 1,
                ] as [String: Any]
            }
            return row
        }
        var object: [String: Any] = [
            "dataset": dataset.location.path, "layout": dataset.layout.rawValue, "n": results.count,
            "methods": methods.map(\.rawValue), "seconds": seconds,
            "metrics": ["psnr": "dB, 8-bit, full frame", "ssim": "scikit-image 0.26 defaults (7x7 uniform, sample covariance)",
                        "ssim_gaussian": "Wang et al. 2004 (11x11 Gaussian, sigma 1.5)", "lpips": "v0.1 AlexNet",
                        "ie": "mean absolute difference, 0-255"],
            "summary": Dictionary(uniqueKeysWithValues: methods.map { ($0.rawValue, encode(mean($0))) }),
            "rows": rows,
        ]
        if let gate, let g = gateSummary {
            object["gate"] = [
                "mode": gate.mode.rawValue, "floor": gate.floor, "relative_z": gate.relativeZ.map { $0 as Any } ?? NSNull(),
                "catastrophic_disagreement": gate.catastrophicDisagreement, "frames": g.frames, "flagged": g.flagged,
                "held_source": g.held, "reversed": g.reversed, "rerun": g.rerun, "seconds": gateSeconds,
                "spearman_score_lpips": g.spearman.map { $0 as Any } ?? NSNull(),
                "worst10_precision": g.precision.map { $0 as Any } ?? NSNull(),
                "worst10_recall": g.recall.map { $0 as Any } ?? NSNull(),
            ] as [String: Any]
        }
        if let video {
            object["protocol"] = [
                "name": "drop-frame", "gap": video.settings.gap, "all_inner": video.settings.allInner,
                "frames_read": video.framesRead, "windows": video.windows, "windows_used": video.used,
                "windows_skipped": video.skips.count,
                "skipped": ["scene_cut": video.skipped(.sceneCut), "duplicate": video.skipped(.duplicate)],
                "scene_threshold": video.settings.sceneThreshold,
                "duplicate_threshold": video.settings.duplicateThreshold,
                "skipped_windows": video.skips.map { skip -> [String: Any] in
                    ["window": skip.window, "first": skip.first, "last": skip.last,
                     "reason": skip.reason == .sceneCut ? "scene_cut" : "duplicate", "value": skip.value]
                },
            ] as [String: Any]
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes an HTML page to `url` and the worst samples' thumbnails into a folder beside it
    /// (`<name>_files/`): the summary table, then per sample the two inputs, the ground truth,
    /// each method's output and its error heat map side by side.
    /// - Returns: the thumbnail files written.
    @discardableResult
    public func writeHTML(to url: URL) throws -> [URL] {
        var page = try HTMLPage(url: url, title: "tween eval: \(dataset.location.lastPathComponent)", style: """
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            td:first-child, th:first-child { text-align: left; }
            .sample { margin-top: 1.5em; }
            """)
        page.add("""
            <h1>tween eval</h1>
            <p>\(escape(headline)).\(video.map { escape(protocolNote($0)) } ?? "")
            PSNR on 8 bits; SSIM as scikit-image computes it by default (7×7 uniform window) and as Wang et al. 2004 define it
            (11×11 Gaussian, σ = 1.5); LPIPS v0.1 AlexNet; IE = mean absolute error (0–255).</p>
            <table><tr><th>method</th><th>PSNR (dB)</th><th>SSIM (skimage 7×7)</th><th>SSIM (Gaussian 11×11)</th><th>LPIPS</th><th>IE</th><th>s / sample</th></tr>

            """)
        for method in methods {
            let m = mean(method)
            page.add("<tr><td>\(escape(label(method)))</td><td>\(format(m.psnr, 3))</td><td>\(format(m.ssim, 4))</td><td>\(format(m.ssimGaussian, 4))</td>"
                + "<td>\(m.lpips.map { format($0, 4) } ?? "–")</td><td>\(format(m.ie, 3))</td><td>\(format(m.seconds, 3))</td></tr>\n")
        }
        page.add("</table>\n<h2>The \(worst.count) worst samples by \(escape(label(rankingMethod))) PSNR</h2>\n")
        page.add("<p>Error maps: |output − ground truth|, black = 0, red, yellow, white = 48 or more (of 255).</p>\n")
        for (rank, (result, thumbs)) in worst.enumerated() {
            let stem = String(format: "%02d_", rank + 1) + safeFileName(result.sample.name)
            page.add("<div class=\"sample\"><h3>\(rank + 1). \(escape(result.sample.name)) (\(result.width)×\(result.height), t = \(result.sample.t))</h3>\n")
            func figure(_ image: RGBImage, _ file: String, _ caption: String) throws {
                try page.figure(image, file: "\(stem)_\(file).png", caption: caption)
            }
            let numbers = result.sample.videoFrames
            try figure(thumbs.frame0, "frame0", numbers.map { "frame \($0.frame0) (input)" } ?? "frame 0")
            try figure(thumbs.frame1, "frame1", numbers.map { "frame \($0.frame1) (input)" } ?? "frame 1")
            try figure(thumbs.groundTruth, "gt", numbers.map { "frame \($0.groundTruth) (ground truth)" } ?? "ground truth")
            page.add("<br>\n")
            for method in methods {
                let s = result.scores[method]!
                let caption = "\(label(method)): \(format(s.psnr, 2)) dB, LPIPS \(s.lpips.map { format($0, 4) } ?? "–")"
                try figure(thumbs.outputs[method]!, method.rawValue, caption)
            }
            page.add("<br>\n")
            for method in methods {
                try figure(thumbs.errors[method]!, "\(method.rawValue)_error", "\(label(method)): error, IE \(format(result.scores[method]!.ie, 2))")
            }
            page.add("</div>\n")
        }
        try page.write()
        return page.pictures
    }
}

/// How the windows were chosen and skipped, for the HTML page.
func protocolNote(_ video: DropFrameSummary) -> String {
    var note = " Windows of \(video.settings.gap) frame steps, the outer frames predicting "
        + (video.settings.allInner ? "every inner frame at its true t" : "the middle frame (t = 0.5)")
        + "; a window is skipped at a scene cut (32×32 luma thumbnails differ by more than \(video.settings.sceneThreshold))"
        + " or a duplicated frame (consecutive frames differ by less than \(video.settings.duplicateThreshold) of 255 on average)."
    if !video.skips.isEmpty {
        note += " Skipped: " + video.skips.map { "frames \($0.first)–\($0.last) (\($0.reason.rawValue), \(format($0.value, 3)))" }
            .joined(separator: ", ") + "."
    }
    return note
}

func format(_ x: Double, _ digits: Int) -> String {
    x.isFinite ? String(format: "%.\(digits)f", x) : (x > 0 ? "inf" : "nan")
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// `name` with anything but letters, digits, `-` and `_` replaced by `_`.
func safeFileName(_ name: String) -> String {
    String(name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" ? Character($0) : "_" })
}
