package dev.h2patch.cli.probe;

import java.util.List;

/**
 * Whether the answers look like a server with h2patch inside — a likelihood, never a fact: a correct server and a
 * patched one answer alike. The one telling shape is h2patch's answer for an in-process port sniffer
 * (docs/fixes/early-settings.md): an empty SETTINGS before any request, then the codec's own SETTINGS; Go's cmux
 * with MatchWithWriters answers the same way, so even that only makes h2patch "possible".
 */
final class PatchLikelihood {
    static final String NAME = "h2patch";

    private PatchLikelihood() {
    }

    static Verdict judge(List<Verdict> checks, List<Frame> firstConnection) {
        int settings = 0;
        boolean firstEmpty = false;
        boolean requestSent = false;
        for (Frame f : firstConnection) {
            requestSent |= f.sent && f.is(Frame.HEADERS);
            if (!f.sent && f.is(Frame.SETTINGS) && !f.has(Frame.ACK)) {
                firstEmpty |= settings == 0 && f.length() == 0 && !requestSent;
                settings++;
            }
        }
        StringBuilder bugs = new StringBuilder();
        for (Verdict v : checks) {
            if (v.isBug()) {
                bugs.append(bugs.length() == 0 ? "" : ", ").append(v.check);
            }
        }
        if (firstEmpty && settings >= 2) {
            // Not proof: Go's cmux answers a sniffed connection the same way (MatchWithWriters), seen in docs/probe.md.
            return new Verdict(NAME, "possible", "-", "an empty SETTINGS answered the preface before any request, and"
                    + " the server's own SETTINGS came later: the shape of h2patch's answer for a port sniffer"
                    + " (early-settings), and of cmux's MatchWithWriters");
        }
        if (bugs.length() > 0) {
            return new Verdict(NAME, "unlikely", "-", "the shapes h2patch repairs are there (" + bugs + "): no"
                    + " h2patch, those fixes off, or a library or path it does not cover");
        }
        return new Verdict(NAME, Verdict.UNKNOWN, "-", "no shape h2patch repairs was seen; a patched Netty or Jetty"
                + " server and a server without these bugs look the same from outside");
    }
}
