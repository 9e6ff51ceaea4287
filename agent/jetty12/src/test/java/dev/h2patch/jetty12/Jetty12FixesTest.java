package dev.h2patch.jetty12;

import dev.h2patch.Fix;
import dev.h2patch.FixModuleContract;
import java.util.ArrayList;
import java.util.List;

/** The Jetty12 module keeps the rules of every fix module, against the Jetty it is compiled against. */
class Jetty12FixesTest extends FixModuleContract {

    /** This module's fixes only: h2patch-jetty9 (on the class path for the advice all lines share) registers its own. */
    @Override
    protected List<Fix> fixes() {
        List<Fix> own = new ArrayList<Fix>();
        for (Fix fix : super.fixes()) {
            if (fix.getClass().getPackage().equals(getClass().getPackage())) {
                own.add(fix);
            }
        }
        return own;
    }

    @Override
    protected int expectedFixCount() {
        return 3;
    }
}
