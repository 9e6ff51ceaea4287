package dev.h2patch.netty;

import dev.h2patch.Fix;
import dev.h2patch.Relocation;
import dev.h2patch.VersionRange;
import java.util.Collections;
import java.util.List;

/**
 * What every Netty fix declares alike: the library line, grpc-java's relocated copy as a second target, and how to
 * read the Netty version for the log line. A Netty fix only adds its name and its patches.
 */
abstract class NettyFix extends Fix {

    @Override
    public String library() {
        return NettyFixes.LIBRARY;
    }

    @Override
    public List<VersionRange> versions() {
        return Collections.singletonList(VersionRange.of("4.1.77", "4.3"));
    }

    @Override
    public List<Relocation> relocations() {
        return NettyFixes.RELOCATIONS;
    }

    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        return NettyFixes.version(loader, relocation);
    }
}
