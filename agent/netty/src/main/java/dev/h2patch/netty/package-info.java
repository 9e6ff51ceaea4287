/**
 * Fixes for Netty 4.1 and 4.2, written once against {@code io.netty} and also applied to grpc-java's relocated copy
 * ({@code io.grpc.netty.shaded.io.netty}) by {@link dev.h2patch.netty.NettyFixes#GRPC_SHADED}.
 *
 * <p>Advice here is inlined into Netty classes: it may use Netty types and the {@code dev.h2patch.bootstrap} helpers,
 * nothing else of the agent, and never lambdas (they would point at methods the patched class does not have).
 */
package dev.h2patch.netty;
