package dev.h2patch.cli.probe;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/** The probe's arguments: {@code URL [--grpc-method M] [--path P] [--upload-path P] [--json] [-v] ...}. */
final class ProbeOptions {

    /** An argument the probe cannot use; the command turns it into a usage error. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static final String DEFAULT_GRPC_METHOD = "/h2patch.Probe/Unknown";

    String url;
    boolean tls;
    String host;
    int port;
    String authority;
    String grpcMethod = DEFAULT_GRPC_METHOD;
    String path = "/";
    String uploadPath;
    boolean json;
    boolean verbose;
    boolean insecure;
    String sni;
    int timeoutMs = 3000;

    static ProbeOptions parse(List<String> args) throws UsageException {
        ProbeOptions o = new ProbeOptions();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--json")) {
                o.json = true;
            } else if (arg.equals("-v") || arg.equals("--verbose")) {
                o.verbose = true;
            } else if (arg.equals("--insecure") || arg.equals("-k")) {
                o.insecure = true;
            } else if (arg.equals("--grpc-method")) {
                o.grpcMethod = path(arg, value(args, ++i, arg));
            } else if (arg.equals("--path")) {
                o.path = path(arg, value(args, ++i, arg));
            } else if (arg.equals("--upload-path")) {
                o.uploadPath = path(arg, value(args, ++i, arg));
            } else if (arg.equals("--sni")) {
                o.sni = value(args, ++i, arg);
            } else if (arg.equals("--timeout")) {
                String value = value(args, ++i, arg);
                o.timeoutMs = millis(value);
                if (o.timeoutMs < 100 || o.timeoutMs > 60000) {
                    throw new UsageException("--timeout: between 100ms and 60s");
                }
            } else if (arg.startsWith("-")) {
                throw new UsageException("unknown option '" + arg + "'");
            } else if (o.url == null) {
                o.url = arg;
            } else {
                throw new UsageException("unexpected argument '" + arg + "' (one URL only)");
            }
        }
        if (o.url == null) {
            throw new UsageException("a URL is required: http://host:port (h2c) or https://host:port (TLS, ALPN h2)");
        }
        o.target();
        return o;
    }

    private void target() throws UsageException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("not a URL: " + url);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new UsageException("the URL must start with http:// (h2c, prior knowledge) or https:// (TLS): " + url);
        }
        if (uri.getHost() == null) {
            throw new UsageException("no host in " + url);
        }
        tls = scheme.equals("https");
        host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        authority = uri.getHost() + ":" + port;
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")
                && path.equals("/")) {
            path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        }
    }

    /** "3", "3s", "2.5s" (seconds) or "500ms". */
    static int millis(String value) throws UsageException {
        try {
            if (value.endsWith("ms")) {
                return (int) Math.round(Double.parseDouble(value.substring(0, value.length() - 2)));
            }
            String seconds = value.endsWith("s") ? value.substring(0, value.length() - 1) : value;
            return (int) Math.round(Double.parseDouble(seconds) * 1000);
        } catch (NumberFormatException e) {
            throw new UsageException("--timeout: '" + value + "' is not a duration (3, 3s, 500ms)");
        }
    }

    private static String value(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static String path(String option, String value) throws UsageException {
        if (!value.startsWith("/")) {
            throw new UsageException(option + ": a path starting with '/', got '" + value + "'");
        }
        return value;
    }

    String scheme() {
        return tls ? "https" : "http";
    }
}
