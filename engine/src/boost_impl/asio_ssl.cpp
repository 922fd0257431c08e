// The one translation unit that compiles Boost.Asio's SSL layer.
#include <boost/asio/ssl/impl/src.hpp>
