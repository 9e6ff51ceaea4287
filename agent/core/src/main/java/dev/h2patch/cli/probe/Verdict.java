package dev.h2patch.cli.probe;

import java.util.LinkedHashMap;
import java.util.Map;

/** One line of the probe's answer: a check, its verdict word, the fix that addresses it, and what was seen. */
final class Verdict {
    static final String OK = "ok";
    static final String BUG = "BUG";
    static final String UNKNOWN = "unknown";

    final String check;
    final String word;
    final String fix;
    final String saw;

    Verdict(String check, String word, String fix, String saw) {
        this.check = check;
        this.word = word;
        this.fix = fix;
        this.saw = saw;
    }

    static Verdict ok(String check, String saw) {
        return new Verdict(check, OK, check, saw);
    }

    static Verdict bug(String check, String saw) {
        return new Verdict(check, BUG, check, saw);
    }

    static Verdict unknown(String check, String why) {
        return new Verdict(check, UNKNOWN, check, why);
    }

    boolean isBug() {
        return BUG.equals(word);
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("check", check);
        m.put("verdict", word);
        m.put("fix", fix);
        m.put("saw", saw);
        return m;
    }

    @Override
    public String toString() {
        return check + " " + word + ": " + saw;
    }
}
