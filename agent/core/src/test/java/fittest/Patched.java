package fittest;

/** A stand-in patched type. */
public class Patched {
    private Lib lib = new Lib();

    public int work(int x) {
        return x;
    }
}
