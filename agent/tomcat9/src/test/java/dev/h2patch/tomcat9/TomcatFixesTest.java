package dev.h2patch.tomcat9;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.h2patch.FixModuleContract;
import dev.h2patch.Relocation;
import org.junit.jupiter.api.Test;

/** The tomcat9 module keeps the rules of every fix module, against the Tomcat it is compiled against (9.0.70). */
class TomcatFixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 3;
    }

    @Test
    void theVersionComesFromServerInfo() {
        assertEquals("9.0.70", new TomcatEndStreamFix().libraryVersion(getClass().getClassLoader(), Relocation.NONE));
    }
}
