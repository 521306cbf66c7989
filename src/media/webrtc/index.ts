export * from './webrtc-sdp.ts';
export * from './webrtc-transport.ts';
