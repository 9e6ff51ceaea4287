package fittest;

/** A stand-in library type (outside dev.h2patch, so the fit check treats it as library code). */
public class Lib {
    public int count;

    public void gone() {
    }

    public int kept() {
        return 1;
    }
}
