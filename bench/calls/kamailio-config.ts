/** Module path of Debian's kamailio package. */
const MODULE_PATH = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

function header(port: number, children: number): string {
  return [
    '#!KAMAILIO',
    'debug=0',
    'log_stderror=yes',
    'fork=yes',
    `children=${children}`,
    'auto_aliases=no',
    `listen=udp:127.0.0.1:${port}`,
    `mpath="${MODULE_PATH}"`,
  ].join('\n');
}

/**
 * Kamailio as a stateful UAS-like endpoint: INVITE gets a tm `t_reply` 200 OK with an SDP answer;
 * the ACK makes it send a BYE into the dialog (uac module, same Call-ID and tags), which is what
 * callbin's `[answer, hangup]` flow does, so the caller runs the same scenario against both.
 */
export function kamailioUasConfig(o: { port: number; children: number }): string {
  return `${header(o.port, o.children)}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "uac.so"
modparam("uac", "restore_mode", "none")
request_route {
  if (is_method("ACK")) {
    $uac_req(method) = "BYE";
    $uac_req(ruri) = "sip:" + $fU + "@" + $si + ":" + $sp;
    $uac_req(furi) = $tu;
    $uac_req(turi) = "<" + $fu + ">;tag=" + $ft;
    $uac_req(callid) = $ci;
    uac_req_send();
    t_check_trans();
    exit;
  }
  if (is_method("INVITE")) {
    if (!t_newtran()) { sl_reply_error(); exit; }
    append_to_reply("Contact: <sip:kamailio@127.0.0.1:${o.port}>\\r\\n");
    set_reply_body("v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nc=IN IP4 127.0.0.1\\r\\nt=0 0\\r\\nm=audio 9 RTP/AVP 0\\r\\na=rtpmap:0 PCMU/8000\\r\\n", "application/sdp");
    t_reply("200", "OK");
    exit;
  }
  if (is_method("BYE")) { t_newtran(); t_reply("200", "OK"); exit; }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

/**
 * Kamailio as a stateful proxy in front of a sipp UAS, with rtpengine relaying the media: the
 * INVITE's SDP goes through `rtpengine_offer`, the 200 OK's through `rtpengine_answer`, BYE deletes
 * the session. Every request goes to the UAS (the caller sends in-dialog requests to the proxy).
 */
export function kamailioRtpengineProxyConfig(o: {
  port: number;
  children: number;
  uasPort: number;
  ngPort: number;
}): string {
  return `${header(o.port, o.children)}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:${o.ngPort}")
request_route {
  if (is_method("INVITE") && !has_totag()) {
    if (!rtpengine_offer("replace-origin replace-session-connection")) { sl_send_reply("503", "No media relay"); exit; }
    t_on_reply("MEDIA_ANSWER");
  } else if (is_method("BYE")) {
    rtpengine_delete();
  }
  $du = "sip:127.0.0.1:${o.uasPort}";
  if (!t_relay()) sl_reply_error();
  exit;
}
onreply_route[MEDIA_ANSWER] {
  if (has_body("application/sdp")) rtpengine_answer("replace-origin replace-session-connection");
}
`;
}
