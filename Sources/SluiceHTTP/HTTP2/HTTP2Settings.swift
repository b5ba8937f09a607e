/// The HTTP/2 settings this server announces (`http2:` in the config file, README "HTTP/2").
/// Read by every HTTP/2 connection when it starts; a value, fixed for the server's life.
package struct HTTP2Settings: Sendable, Equatable {
    /// Whether cleartext connections may speak h2c (prior knowledge or `Upgrade: h2c`).
    package var enabled = true
    /// SETTINGS_MAX_CONCURRENT_STREAMS: requests one connection may have open at once.
    package var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: bytes of request body a client may send on one stream
    /// before we acknowledge them; also the connection-wide receive window.
    package var initialWindowSize = 1 << 20
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept.
    package var maxFrameSize = 16 * 1024

    package init() {}

    /// Bounds RFC 9113 §6.5.2 puts on the values.
    package static let windowSizeRange = 1...Int(Int32.max)
    package static let frameSizeRange = 16_384...16_777_215
}
