package rollbacktest;

/** The second type of that fix: its advice cannot be inlined here (it binds an int argument as a String). */
public class Second {
    public String value(int x) {
        return "original";
    }
}
