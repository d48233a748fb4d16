// Emscripten library: each host import of abi.cpp goes to the Host object the
// shim passes as createCore({host}) (js-shim/host.js). Emscripten 3.1's
// library parser wants `function`, not arrows.
mergeInto(LibraryManager.library, {
  host_send: function(conns, count, text, len) { Module.host.send(conns, count, text, len); },
  host_send_spliced: function(conns, count, start, end, tail, tailLen, fresh) { Module.host.send_spliced(conns, count, start, end, tail, tailLen, fresh); },
  host_close: function(conn, code, reason, len) { Module.host.close(conn, code, reason, len); },
  host_attach: function(conn, state, len) { Module.host.attach(conn, state, len); },
  host_kv_get: function(key, len, outLen) { return Module.host.kv_get(key, len, outLen); },
  host_kv_put: function(key, keyLen, value, valueLen) { Module.host.kv_put(key, keyLen, value, valueLen); },
  host_kv_delete: function(key, len) { Module.host.kv_delete(key, len); },
  host_kv_list: function(prefix, len, outLen) { return Module.host.kv_list(prefix, len, outLen); },
  host_set_alarm: function(atMs) { Module.host.set_alarm(atMs); },
  host_now: function() { return Module.host.now(); },
  host_random: function(out, len) { Module.host.random(out, len); },
  host_hmac_sha256: function(key, keyLen, data, dataLen, out) { Module.host.hmac_sha256(key, keyLen, data, dataLen, out); },
  host_hmac_secret: function(name, nameLen, data, dataLen, out) { Module.host.hmac_secret(name, nameLen, data, dataLen, out); },
  host_perform: function(effect, len) { Module.host.perform(effect, len); },
  host_log: function(line, len) { Module.host.log(line, len); },
  host_respond: function(json, len) { Module.host.respond(json, len); },
});
