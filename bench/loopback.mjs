// Preloaded into y-webrtc's bin/server.js (node --import): it calls
// server.listen(port), which binds every interface; the bench stays on loopback.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
  if (typeof port === "number" || typeof port === "string") return listen.call(this, Number(port), "127.0.0.1", ...rest);
  return listen.call(this, port, ...rest);
};
