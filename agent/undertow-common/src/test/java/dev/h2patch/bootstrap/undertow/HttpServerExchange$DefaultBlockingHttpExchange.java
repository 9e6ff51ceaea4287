package dev.h2patch.bootstrap.undertow;

/** Stand-in named as Undertow's default blocking exchange class ends ({@code HttpServerExchange$DefaultBlockingHttpExchange}). */
class HttpServerExchange$DefaultBlockingHttpExchange {
}
