// The page side of test/support/browser-clients.ts: one `window.__callbin` API over JsSIP 3.13 and
// over SIP.js 0.21, the state in `window.__client`. Remote audio goes to `window.__callbinListen`
// (LISTENER_SCRIPT of test/support/browser.ts) when the page has it.

const COMMON = `
const state = {
  lib: LIB, registration: 'idle', registrationCause: '', registrationStatus: 0,
  call: 'idle', callCause: '', incoming: 0, caller: '', dtmfSent: '', errors: [],
};
window.__client = state;
const fail = (err) => { state.errors.push(String(err && err.stack ? err.stack : err)); throw err; };
const listen = (stream) => { if (stream && window.__callbinListen) window.__callbinListen(stream); };
// register({ rawAudio: true }) turns off the browser's echo cancellation, noise suppression and gain
// control, so a test tone from the fake microphone is sent at the level the WAV has.
const RAW = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
let AUDIO = { audio: true, video: false };
const setAudio = (o) => { AUDIO = { audio: o && o.rawAudio ? RAW : true, video: false }; };
`;

/** JsSIP: expects `window.JsSIP` (the bundle of jssipBundle()). */
export const JSSIP_CLIENT = `(() => {
const LIB = 'jssip';
${COMMON}
const JsSIP = window.JsSIP;
let ua;
let session;
const track = (s) => {
  session = s;
  s.on('progress', () => { if (state.call === 'calling') state.call = 'ringing'; });
  s.on('confirmed', () => { state.call = 'established'; });
  s.on('ended', (e) => { state.call = 'ended'; state.callCause = e.cause; });
  s.on('failed', (e) => { state.call = 'failed'; state.callCause = e.cause; });
  s.on('peerconnection', (e) => e.peerconnection.addEventListener('track', (t) => listen(t.streams[0] ?? new MediaStream([t.track]))));
  if (s.connection) s.connection.addEventListener('track', (t) => listen(t.streams[0] ?? new MediaStream([t.track])));
};
window.__callbin = {
  register(o) {
    try {
      setAudio(o);
      if (o.trace) JsSIP.debug.enable('JsSIP:Transport JsSIP:DigestAuthentication JsSIP:Registrator');
      else JsSIP.debug.disable();
      const socket = new JsSIP.WebSocketInterface(o.wsUrl);
      ua = new JsSIP.UA({
        sockets: [socket], uri: o.uri, authorization_user: o.username, password: o.password,
        register: false, register_expires: o.expires || 600, session_timers: false,
      });
      ua.on('registered', () => { state.registration = 'registered'; });
      ua.on('unregistered', () => { if (state.registration !== 'failed') state.registration = 'unregistered'; });
      ua.on('registrationFailed', (e) => {
        state.registration = 'failed';
        state.registrationCause = e.cause;
        state.registrationStatus = e.response ? e.response.status_code : 0;
      });
      ua.on('newRTCSession', (e) => {
        if (e.originator !== 'remote') return;
        state.incoming++;
        state.caller = e.request.from.uri.toString();
        state.call = 'incoming';
        track(e.session);
      });
      state.registration = 'registering';
      // register() before the WebSocket is open fails at once with "Connection Error".
      ua.once('connected', () => ua.register());
      ua.start();
    } catch (err) { fail(err); }
  },
  refresh() { ua.register(); },
  unregister() { ua.unregister(); },
  call(target) {
    state.call = 'calling';
    state.callCause = '';
    track(ua.call(target, { mediaConstraints: AUDIO, pcConfig: { iceServers: [] } }));
  },
  answer() { session.answer({ mediaConstraints: AUDIO, pcConfig: { iceServers: [] } }); },
  hangup() { if (session && !session.isEnded()) session.terminate(); },
  dtmf(tones) { session.sendDTMF(tones, { transportType: 'RFC2833' }); state.dtmfSent += tones; },
  /** The MIME type of the audio codec the call receives ('audio/opus', 'audio/PCMU'), '' before media. */
  async codec() {
    const pc = session && session.connection;
    if (!pc) return '';
    const stats = await pc.getStats();
    let codecId;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'audio') codecId = r.codecId; });
    const codec = codecId && stats.get(codecId);
    return codec ? codec.mimeType : '';
  },
  stop() { if (ua) ua.stop(); },
};
})();`;

/** SIP.js: an ES module importing the library from `/sipjs/index.js`. */
export const SIPJS_CLIENT = `
import { Inviter, Registerer, RegistererState, SessionState, UserAgent } from '/sipjs/index.js';
const LIB = 'sipjs';
${COMMON}
let ua;
let registerer;
let session;
let domain = '';
const remoteStream = (s) => {
  const pc = s.sessionDescriptionHandler && s.sessionDescriptionHandler.peerConnection;
  if (!pc) return;
  const stream = new MediaStream();
  for (const r of pc.getReceivers()) if (r.track) stream.addTrack(r.track);
  listen(stream);
};
const track = (s) => {
  session = s;
  s.stateChange.addListener((st) => {
    if (st === SessionState.Established) { state.call = 'established'; remoteStream(s); }
    if (st === SessionState.Terminated && state.call !== 'failed') state.call = 'ended';
  });
};
const onReject = (res) => {
  state.registration = 'failed';
  state.registrationStatus = res.message.statusCode;
  state.registrationCause = res.message.reasonPhrase;
};
window.__callbin = {
  async register(o) {
    try {
      setAudio(o);
      domain = UserAgent.makeURI(o.uri).host;
      ua = new UserAgent({
        uri: UserAgent.makeURI(o.uri),
        transportOptions: { server: o.wsUrl, traceSip: !!o.trace },
        authorizationUsername: o.username,
        authorizationPassword: o.password,
        logLevel: o.trace ? 'debug' : 'error',
        sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] } },
        delegate: {
          onInvite(invitation) {
            state.incoming++;
            state.caller = invitation.remoteIdentity.uri.toString();
            state.call = 'incoming';
            track(invitation);
          },
        },
      });
      registerer = new Registerer(ua, { expires: o.expires || 600 });
      registerer.stateChange.addListener((st) => {
        if (st === RegistererState.Registered) state.registration = 'registered';
        if (st === RegistererState.Unregistered && state.registration !== 'failed') state.registration = 'unregistered';
      });
      state.registration = 'registering';
      await ua.start();
      await registerer.register({ requestDelegate: { onReject } });
    } catch (err) { fail(err); }
  },
  async refresh() { await registerer.register({ requestDelegate: { onReject } }); },
  async unregister() { await registerer.unregister(); },
  async call(target) {
    state.call = 'calling';
    state.callCause = '';
    const uri = UserAgent.makeURI(target.startsWith('sip:') ? target : 'sip:' + target + '@' + domain);
    const inviter = new Inviter(ua, uri, { sessionDescriptionHandlerOptions: { constraints: AUDIO } });
    track(inviter);
    await inviter.invite({
      requestDelegate: {
        onProgress: () => { if (state.call === 'calling') state.call = 'ringing'; },
        onReject: (res) => { state.call = 'failed'; state.callCause = String(res.message.statusCode); },
      },
    });
  },
  async answer() { await session.accept({ sessionDescriptionHandlerOptions: { constraints: AUDIO } }); },
  async hangup() {
    if (!session) return;
    if (session.state === SessionState.Established) await session.bye();
    else if (session instanceof Inviter) await session.cancel();
    else if (session.state !== SessionState.Terminated) await session.reject();
  },
  dtmf(tones) {
    for (const t of tones) session.sessionDescriptionHandler.sendDtmf(t);
    state.dtmfSent += tones;
  },
  async stop() { if (ua) await ua.stop(); },
};
`;
