package io.turnstile.proxy.transport;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket transport: Linux's native epoll when it loads (fewer copies and system calls per
 * chunk), Java NIO otherwise or when {@code -Dturnstile.transport=nio} asks for it. Event loops,
 * server channels and upstream channels must all come from the same choice.
 */
public final class Transport {
  private static final boolean EPOLL = !"nio".equals(System.getProperty("turnstile.transport")) && Epoll.isAvailable();

  private Transport() {}

  public static String name() {
    return EPOLL ? "epoll" : "nio";
  }

  public static IoHandlerFactory ioHandlerFactory() {
    return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  public static Class<? extends ServerChannel> serverChannel() {
    return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public static Class<? extends SocketChannel> socketChannel() {
    return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
