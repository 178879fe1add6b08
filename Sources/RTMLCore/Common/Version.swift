/// rtml's release, printed by `rtml --version` and recorded in artifacts it writes.
public enum RTMLVersion {
    public static let string = "0.1.0"
}
