/// A descriptor registered with an `EventLoop`. Its methods are called on that loop's thread only.
package protocol Selectable: AnyObject {
    var fd: Int32 { get }
    /// The fd has bytes to read, a pending accept, or the peer hung up (read to find out).
    func onReadable()
    /// The fd can take more bytes; only delivered while write interest is on.
    func onWritable()
}
