/// What every connection of one loop shares, whatever it speaks: the application, the
/// server-wide state, its owner (the loop's context) and the loop's cached `Date`. Made by the
/// `LoopContext` for each connection it starts; stored inline in the connection.
struct ConnectionEnvironment {
    let responder: any Responder
    let server: ServerState
    unowned let owner: any ConnectionOwner
    let date: DateCache
}
