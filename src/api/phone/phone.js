// The softphone page (docs/webrtc.md "The softphone page"): JsSIP registers an extension over SIP
// on a WebSocket (RFC 7118) and places and answers calls with the browser's WebRTC.
(() => {
  const $ = (id) => document.getElementById(id);
  // The far end's audio: a live stream, so an element made here rather than one with captions.
  const remoteAudio = () => {
    const audio = document.createElement('audio');
    audio.id = 'remote';
    audio.autoplay = true;
    document.body.append(audio);
    return audio;
  };
  const ui = {
    status: $('status'),
    message: $('message'),
    signin: $('signin'),
    signinButton: $('signin-button'),
    username: $('username'),
    password: $('password'),
    domain: $('domain'),
    phone: $('phone'),
    me: $('me'),
    signout: $('signout'),
    incoming: $('incoming'),
    incomingText: $('incoming-text'),
    answer: $('answer'),
    decline: $('decline'),
    target: $('target'),
    dialpad: $('dialpad'),
    call: $('call'),
    hangup: $('hangup'),
    mute: $('mute'),
    hold: $('hold'),
    callState: $('call-state'),
    duration: $('duration'),
    level: $('level'),
    remote: remoteAudio(),
  };

  /** What tests read: the JsSIP UA and session, the state, the streams and what happened. */
  const phone = { ua: null, session: null, state: 'signed-out', remoteStream: null, localStream: null, events: [] };
  window.__phone = phone;

  let config = null;

  const STATUS = {
    'signed-out': 'Signed out',
    registering: 'Registering…',
    registered: 'Registered: ready to call',
    'registration-failed': 'Registration failed',
    calling: 'Calling…',
    ringing: 'Incoming call',
    'in-call': 'In call',
    ended: 'Call ended',
  };

  function record(type, detail) {
    phone.events.push({ type, at: Date.now(), ...(detail === undefined ? {} : { detail }) });
  }

  function setState(state) {
    phone.state = state;
    ui.status.textContent = STATUS[state] ?? state;
    record('state', state);
  }

  function showMessage(text) {
    ui.message.textContent = text;
    ui.message.hidden = text === '';
  }

  function setCallControls(inCall) {
    ui.call.disabled = inCall;
    ui.hangup.disabled = !inCall;
    ui.mute.disabled = !inCall;
    ui.hold.disabled = !inCall;
    if (!inCall) {
      ui.mute.setAttribute('aria-pressed', 'false');
      ui.hold.setAttribute('aria-pressed', 'false');
      ui.mute.textContent = 'Mute';
      ui.hold.textContent = 'Hold';
    }
  }

  async function loadConfig() {
    const res = await fetch('/phone/config.json', { cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body?.error?.message ?? `the phone's configuration is not available (${res.status})`);
    return body;
  }

  // ---- microphone ----

  const { microphoneError, callClock } = window.callbinPhoneAudio;
  const clock = callClock(ui.duration);
  let microphone = null;

  async function openMicrophone() {
    releaseMicrophone();
    microphone = await window.callbinPhoneAudio.openMicrophone(ui.level);
    phone.localStream = microphone.stream;
    return microphone.stream;
  }

  function releaseMicrophone() {
    microphone?.close();
    microphone = null;
    phone.localStream = null;
  }

  // ---- registration ----

  function signIn(event) {
    event.preventDefault();
    showMessage('');
    const username = ui.username.value.trim();
    const password = ui.password.value;
    const domain = ui.domain.value.trim() || config.sip_domain;
    if (username === '' || password === '') return showMessage('Enter the extension username and password.');
    if (phone.ua) phone.ua.stop();
    const socket = new JsSIP.WebSocketInterface(config.ws_url);
    const ua = new JsSIP.UA({
      sockets: [socket],
      uri: `sip:${username}@${domain}`,
      authorization_user: username,
      password,
      register: true,
      register_expires: 300,
      session_timers: false,
      user_agent: 'callbin-phone (JsSIP)',
    });
    phone.ua = ua;
    ui.signinButton.disabled = true;
    setState('registering');
    ua.on('registered', () => {
      if (phone.ua !== ua) return;
      record('registered');
      ui.me.textContent = `${username}@${domain}`;
      ui.signin.hidden = true;
      ui.phone.hidden = false;
      ui.password.value = '';
      showMessage('');
      if (!phone.session) setState('registered');
    });
    ua.on('registrationFailed', (e) => {
      if (phone.ua !== ua) return;
      record('registrationFailed', e.cause);
      ua.stop();
      phone.ua = null;
      ui.signinButton.disabled = false;
      setState('registration-failed');
      showMessage(registrationError(e));
    });
    ua.on('disconnected', (e) => {
      if (phone.ua !== ua || phone.state !== 'registering') return;
      record('disconnected', e.code);
    });
    ua.on('newRTCSession', (e) => onNewSession(e.session, e.originator));
    ua.start();
  }

  function registrationError(e) {
    const causes = JsSIP.C.causes;
    if (e.cause === causes.AUTHENTICATION_ERROR || e.cause === causes.REJECTED || e.response?.status_code === 403)
      return 'Registration failed: wrong username or password.';
    if (e.cause === causes.CONNECTION_ERROR || e.cause === causes.REQUEST_TIMEOUT)
      return `Registration failed: callbin cannot be reached at ${config.ws_url}.`;
    return `Registration failed: ${e.cause}.`;
  }

  function signOut() {
    endCall();
    phone.ua?.stop();
    phone.ua = null;
    ui.phone.hidden = true;
    ui.signin.hidden = false;
    ui.signinButton.disabled = false;
    setState('signed-out');
  }

  // ---- calls ----

  function targetUri(text) {
    const target = text.trim();
    if (target.startsWith('sip:') || target.startsWith('sips:')) return target;
    if (target.includes('@')) return `sip:${target}`;
    return `sip:${target}@${phone.ua.configuration.uri.host}`;
  }

  async function placeCall() {
    showMessage('');
    const target = ui.target.value.trim();
    if (target === '') return showMessage('Enter a number or an extension to call.');
    if (phone.session) return;
    setState('calling');
    setCallControls(true);
    let stream;
    try {
      stream = await openMicrophone();
    } catch (err) {
      record('microphoneError', err?.name);
      setCallControls(false);
      setState('registered');
      return showMessage(microphoneError(err));
    }
    try {
      phone.ua.call(targetUri(target), { mediaStream: stream, pcConfig: { iceServers: [] } });
    } catch (err) {
      releaseMicrophone();
      setCallControls(false);
      setState('registered');
      showMessage(`The call cannot be placed: ${err?.message ?? err}`);
    }
  }

  function onNewSession(session, originator) {
    if (phone.session && phone.session !== session) {
      record('busy', session.remote_identity?.uri?.toString());
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    phone.session = session;
    record('newRTCSession', originator);
    session.on('peerconnection', (e) => watchRemote(e.peerconnection));
    if (session.connection) watchRemote(session.connection);
    session.on('progress', () => record('progress'));
    session.on('accepted', () => record('accepted'));
    session.on('confirmed', () => {
      record('confirmed');
      ui.incoming.hidden = true;
      setState('in-call');
      ui.callState.textContent = `with ${peerName(session)}`;
      clock.start();
    });
    session.on('ended', (e) => finished(session, 'ended', e.cause));
    session.on('failed', (e) => finished(session, 'failed', e.cause));
    // Why the browser refused a description (the cause alone says "WebRTC Error").
    session.on('peerconnection:setremotedescriptionfailed', (err) => record('setRemoteDescriptionFailed', String(err)));
    session.on('peerconnection:createanswerfailed', (err) => record('createAnswerFailed', String(err)));
    session.on('hold', () => record('hold'));
    session.on('unhold', () => record('unhold'));
    if (originator === 'remote') {
      ui.incomingText.textContent = `Incoming call from ${peerName(session)}`;
      ui.incoming.hidden = false;
      ui.answer.focus();
      setState('ringing');
    } else {
      ui.callState.textContent = `calling ${peerName(session)}`;
    }
  }

  function peerName(session) {
    const id = session.remote_identity;
    const user = id?.uri?.user ?? '';
    return id?.display_name ? `${id.display_name} (${user})` : user || 'unknown';
  }

  function watchRemote(pc) {
    pc.addEventListener('track', (e) => {
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      phone.remoteStream = stream;
      ui.remote.srcObject = stream;
      record('remoteTrack', e.track.kind);
    });
  }

  async function answerCall() {
    const session = phone.session;
    if (session?.direction !== 'incoming') return;
    ui.incoming.hidden = true;
    let stream;
    try {
      stream = await openMicrophone();
    } catch (err) {
      record('microphoneError', err?.name);
      showMessage(microphoneError(err));
      session.terminate({ status_code: 480, reason_phrase: 'Microphone Unavailable' });
      return;
    }
    setCallControls(true);
    session.answer({ mediaStream: stream, pcConfig: { iceServers: [] } });
  }

  function declineCall() {
    ui.incoming.hidden = true;
    phone.session?.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  }

  function endCall() {
    const session = phone.session;
    if (session && !session.isEnded()) session.terminate();
  }

  function finished(session, how, cause) {
    if (phone.session !== session) return;
    record(how, cause);
    phone.session = null;
    phone.remoteStream = null;
    ui.remote.srcObject = null;
    ui.incoming.hidden = true;
    releaseMicrophone();
    clock.stop();
    setCallControls(false);
    ui.callState.textContent = how === 'failed' ? `failed: ${cause}` : `ended: ${cause}`;
    setState('ended');
  }

  function toggleMute() {
    const session = phone.session;
    if (!session) return;
    const muted = session.isMuted().audio;
    if (muted) session.unmute({ audio: true });
    else session.mute({ audio: true });
    ui.mute.setAttribute('aria-pressed', String(!muted));
    ui.mute.textContent = muted ? 'Mute' : 'Unmute';
    record(muted ? 'unmute' : 'mute');
  }

  function toggleHold() {
    const session = phone.session;
    if (!session) return;
    const held = session.isOnHold().local;
    const done = held ? session.unhold() : session.hold();
    if (!done) return showMessage('Hold cannot change now: try again in a moment.');
    ui.hold.setAttribute('aria-pressed', String(!held));
    ui.hold.textContent = held ? 'Hold' : 'Resume';
  }

  function pressKey(key) {
    const session = phone.session;
    if (session?.isEstablished()) {
      // RFC 4733 events on the media (RTCDTMFSender), as a desk phone sends them.
      session.sendDTMF(key, { transportType: 'RFC2833', duration: 160, interToneGap: 70 });
      record('dtmf', key);
    } else {
      ui.target.value += key;
    }
  }

  // ---- wiring ----

  ui.signin.addEventListener('submit', signIn);
  ui.signout.addEventListener('click', signOut);
  ui.call.addEventListener('click', () => void placeCall());
  ui.hangup.addEventListener('click', endCall);
  ui.answer.addEventListener('click', () => void answerCall());
  ui.decline.addEventListener('click', declineCall);
  ui.mute.addEventListener('click', toggleMute);
  ui.hold.addEventListener('click', toggleHold);
  ui.dialpad.addEventListener('click', (e) => {
    const key = e.target.closest('button')?.dataset.key;
    if (key) pressKey(key);
  });
  ui.target.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void placeCall();
  });
  window.addEventListener('beforeunload', () => phone.ua?.stop());

  ui.signinButton.disabled = true;
  loadConfig().then(
    (c) => {
      config = c;
      ui.domain.placeholder = c.sip_domain;
      ui.signinButton.disabled = false;
      setState('signed-out');
      record('ready', c.ws_url);
    },
    (err) => {
      ui.status.textContent = 'Unavailable';
      showMessage(err.message);
      record('configError', err.message);
    },
  );
})();
