// The stock y-webrtc client on one object per shard (the default).
import { signalClientSuite } from "./signal-client-suite.mjs";

signalClientSuite({}, (name) => `/signal/${name}`);
