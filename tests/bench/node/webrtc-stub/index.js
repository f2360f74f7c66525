// WebRTC is never used by the benchmark (TCP peers on loopback only): constructing a peer
// connection fails loudly instead of silently doing nothing.
class Unavailable {
  constructor () { throw new Error('WebRTC is not available (webrtc-polyfill stub)') }
}
export const RTCPeerConnection = Unavailable
export const RTCSessionDescription = Unavailable
export const RTCIceCandidate = Unavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
