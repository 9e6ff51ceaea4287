package aheadtest;

/** A type of a two-type test fix; the advice makes value() return "patched". */
public class Early {
    public String value() {
        return "original";
    }
}
