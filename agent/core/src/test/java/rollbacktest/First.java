package rollbacktest;

/** The first type of a two-type fix: its advice weaves fine. */
public class First {
    public String value() {
        return "original";
    }
}
