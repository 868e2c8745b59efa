/* atrium-auth: firms, users, sessions, clients and members (auth_server.c). */
#include "at_service.h"

extern const at_service_def_t auth_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &auth_service);
}
