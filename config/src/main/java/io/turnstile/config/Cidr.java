package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A block of IPv4 or IPv6 addresses written as {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a
 * single address ({@code 192.0.2.7}, {@code ::1}). Only address literals are accepted: a host name
 * is never looked up. An IPv4 address in IPv6 form ({@code ::ffff:10.0.0.1}) is the IPv4 address.
 *
 * @param network the first address of the block
 * @param prefix how many leading bits every address of the block shares
 */
public record Cidr(InetAddress network, int prefix) {
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  public Cidr {
    if (network == null) {
      throw new IllegalArgumentException("is required");
    }
    network = canonical(network);
    int bits = network.getAddress().length * 8;
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("prefix /" + prefix + " is out of range for " + network.getHostAddress());
    }
    byte[] masked = mask(network.getAddress(), prefix);
    if (!Arrays.equals(masked, network.getAddress())) {
      throw new IllegalArgumentException("'" + network.getHostAddress() + "/" + prefix
          + "' has bits set after the prefix; write " + address(masked).getHostAddress() + "/" + prefix);
    }
  }

  /** Parses {@code address/prefix} or a single address. */
  @JsonCreator
  public static Cidr parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("is empty");
    }
    String t = text.trim();
    int slash = t.indexOf('/');
    String host = slash < 0 ? t : t.substring(0, slash);
    InetAddress address = literal(host);
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)");
    }
    int bits = address.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("\\d{1,3}")) {
        throw new IllegalArgumentException("'" + text + "' has no numeric prefix length");
      }
      prefix = Integer.parseInt(p);
      if (prefix > bits) {
        throw new IllegalArgumentException("'" + text + "': the prefix length is at most " + bits);
      }
    }
    return new Cidr(address, prefix);
  }

  /** Whether {@code address} lies in this block; an IPv4 address never lies in an IPv6 block. */
  public boolean contains(InetAddress address) {
    if (address == null) {
      return false;
    }
    byte[] a = canonical(address).getAddress();
    if (a.length != network.getAddress().length) {
      return false;
    }
    return Arrays.equals(mask(a, prefix), network.getAddress());
  }

  /**
   * The address written in {@code text} when it is an IPv4 or IPv6 literal, else null; never a
   * name lookup.
   */
  public static InetAddress literal(String text) {
    if (!IPV4.matcher(text).matches() && !IPV6.matcher(text).matches()) {
      return null;
    }
    try {
      // A literal: InetAddress only checks it, it does not ask a resolver.
      return canonical(InetAddress.getByName(text));
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** An IPv4-mapped IPv6 address as its IPv4 address, so that both spellings match alike. */
  private static InetAddress canonical(InetAddress address) {
    byte[] a = address.getAddress();
    return address(a.length == 16 && isMapped(a) ? Arrays.copyOfRange(a, 12, 16) : a);
  }

  private static boolean isMapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff << (8 - keep));
    }
    return out;
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  @JsonValue
  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefix;
  }
}
