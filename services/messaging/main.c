/* atrium-messaging: the messaging service process; the rest is at_service. */
#include "at_service.h"

extern const at_service_def_t messaging_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &messaging_service);
}
